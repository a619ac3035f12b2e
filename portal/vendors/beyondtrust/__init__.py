"""BeyondTrust Remote Support (formerly Bomgar). Nothing outside this package knows its names."""
