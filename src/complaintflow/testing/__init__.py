"""Testing kit for code built on complaintflow."""
