"""Reference and demo data. The catalogue is real (from the 2015 notice); the demo is not."""
