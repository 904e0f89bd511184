//! Retirement of credits at a registry. A retirement is irreversible; the registry must treat
//! a repeated request for the same provision as the same retirement.

use crate::credits::ledger::GramRange;
use crate::ids::ProvisionId;

/// What to retire: a provision's allocated gram ranges, on behalf of a beneficiary.
pub struct Retirement<'a> {
    pub provision_id: ProvisionId,
    pub ranges: &'a [GramRange],
    pub beneficiary_name: &'a str,
    pub retirement_message: Option<&'a str>,
}

#[derive(Debug)]
pub struct RegistryError(pub String);

#[async_trait::async_trait]
pub trait Registry: Send + Sync {
    /// Retires the ranges and returns the registry's reference for the retirement.
    async fn retire(&self, retirement: &Retirement<'_>) -> Result<String, RegistryError>;
}

/// The built-in registry: the ledger is the registry, and retirement is immediate. Its
/// reference is derived from the provision, so a repeated retirement is the same one.
pub struct LocalRegistry;

#[async_trait::async_trait]
impl Registry for LocalRegistry {
    async fn retire(&self, retirement: &Retirement<'_>) -> Result<String, RegistryError> {
        if retirement.ranges.is_empty() {
            return Err(RegistryError(format!(
                "provision {} has no credits to retire",
                retirement.provision_id.0
            )));
        }
        Ok(format!("LOCAL-RET-{:08}", retirement.provision_id.0))
    }
}
