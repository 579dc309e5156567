"""Evidence photos of activities (issue 14): the store, the synced records, the uploads."""
