"""Entry points (the CLI; later the HTTP API and station): thin shells over intake/, scanner/."""
