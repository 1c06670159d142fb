// Server placeholder
