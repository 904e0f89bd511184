//! Carbon accounting across the domains: how far each flight is offset (emissions ×
//! provisions), the monthly invoice (provisions × listings), and whether an aircraft's flights
//! keep it on the books (fleet × emissions). These reads combine domains that do not know each
//! other, so they live above them.

pub mod fleet;
pub mod invoices;
pub mod offsets;
