//! oxid-protocol
