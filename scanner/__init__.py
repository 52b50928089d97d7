"""Scanner: pixels to facts (barcodes, label readings). Never touches the database."""
