"""The parts of the sample-set generator: fonts, parcel labels, drawing, and the video clip."""
