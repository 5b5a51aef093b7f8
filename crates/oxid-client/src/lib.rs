//! oxid-client
