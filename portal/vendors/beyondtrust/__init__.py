"""BeyondTrust Remote Support (formerly Bomgar): the adapters (`adapter` for the modern kind,
`legacy` for the old `.ns` start), start URLs (`start_url`) and the command API client
(`client`). Nothing outside `portal/vendors/` knows its names."""
