//! oxid-provider
