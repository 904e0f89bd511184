//! The DataLoader of a request: each key type batches one kind of lookup into one statement,
//! whatever the nesting of the query that asks for it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DatabaseConnection;

use super::errors::ApiError;
use crate::accounting::offsets::Coverage;
use crate::certificates::Certificate;
use crate::credits::{CreditProject, Listing};
use crate::emissions::Emission;
use crate::fleet::Aircraft;
use crate::ids::{AircraftId, EmissionId, ListingId, PaymentId, ProjectId, ProvisionId, QuoteId};
use crate::paging::Page;
use crate::payments::quotes::Quote;
use crate::payments::{Payment, PaymentEvent};
use crate::provisions::{Allocation, Provision};
use crate::units::Grams;

/// Batches lookups of one request; created per request so nothing is cached across callers.
pub struct DbLoader {
    pub db: DatabaseConnection,
}

/// The request's loader; its cache is what makes preloading a page's relations pay off.
pub type Loaders = DataLoader<DbLoader, HashMapCache>;

type LoadResult<K, V> = Result<HashMap<K, V>, ApiError>;

/// Loads every key at once, in the caller's task, and keeps the values in the request's cache
/// for the fields that ask for them later: for a caller that holds all the keys already (a
/// page's relations). `load_many` would wait out the batching window for keys that are not
/// coming: 1 ms, in a task of its own that a timer thread wakes.
pub async fn load_now<K, V>(
    loaders: &Loaders,
    keys: impl IntoIterator<Item = K>,
) -> LoadResult<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
    DbLoader: Loader<K, Value = V, Error = ApiError>,
{
    let keys: Vec<K> = keys
        .into_iter()
        .collect::<HashSet<K>>()
        .into_iter()
        .collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let values = loaders.loader().load(&keys).await?;
    loaders
        .feed_many(
            values
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        )
        .await;
    Ok(values)
}

impl Loader<AircraftId> for DbLoader {
    type Value = Aircraft;
    type Error = ApiError;

    async fn load(&self, keys: &[AircraftId]) -> LoadResult<AircraftId, Aircraft> {
        let aircraft = crate::fleet::find_many(&self.db, keys).await?;
        Ok(aircraft
            .into_iter()
            .map(|aircraft| (aircraft.id, aircraft))
            .collect())
    }
}

impl Loader<EmissionId> for DbLoader {
    type Value = Emission;
    type Error = ApiError;

    async fn load(&self, keys: &[EmissionId]) -> LoadResult<EmissionId, Emission> {
        let emissions = crate::emissions::find_many(&self.db, keys).await?;
        Ok(emissions
            .into_iter()
            .map(|emission| (emission.id, emission))
            .collect())
    }
}

impl Loader<ProjectId> for DbLoader {
    type Value = CreditProject;
    type Error = ApiError;

    async fn load(&self, keys: &[ProjectId]) -> LoadResult<ProjectId, CreditProject> {
        let projects = crate::credits::find_projects(&self.db, keys).await?;
        Ok(projects
            .into_iter()
            .map(|project| (project.id, project))
            .collect())
    }
}

impl Loader<ListingId> for DbLoader {
    type Value = Listing;
    type Error = ApiError;

    async fn load(&self, keys: &[ListingId]) -> LoadResult<ListingId, Listing> {
        let listings = crate::credits::find_listings(&self.db, keys).await?;
        Ok(listings
            .into_iter()
            .map(|listing| (listing.id, listing))
            .collect())
    }
}

/// Free supply of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AvailableSupply(pub ListingId);

impl Loader<AvailableSupply> for DbLoader {
    type Value = Grams;
    type Error = ApiError;

    async fn load(&self, keys: &[AvailableSupply]) -> LoadResult<AvailableSupply, Grams> {
        let listings: Vec<ListingId> = keys.iter().map(|key| key.0).collect();
        let available = crate::credits::ledger::available(&self.db, &listings).await?;
        Ok(available
            .into_iter()
            .map(|(id, grams)| (AvailableSupply(id), grams))
            .collect())
    }
}

impl Loader<ProvisionId> for DbLoader {
    type Value = Provision;
    type Error = ApiError;

    async fn load(&self, keys: &[ProvisionId]) -> LoadResult<ProvisionId, Provision> {
        let provisions = crate::provisions::find_many(&self.db, keys).await?;
        Ok(provisions
            .into_iter()
            .map(|provision| (provision.id, provision))
            .collect())
    }
}

/// For each loader key, the loaded values of the ids its owner is linked to, in link order.
fn resolve_links<Key, Owner, Id, Value>(
    keys: &[Key],
    owner: impl Fn(&Key) -> Owner,
    linked: &HashMap<Owner, Vec<Id>>,
    values: &HashMap<Id, Value>,
) -> HashMap<Key, Vec<Value>>
where
    Key: Copy + Eq + Hash,
    Owner: Eq + Hash,
    Id: Eq + Hash,
    Value: Clone,
{
    keys.iter()
        .map(|key| {
            let list = linked
                .get(&owner(key))
                .into_iter()
                .flatten()
                .filter_map(|id| values.get(id).cloned())
                .collect();
            (*key, list)
        })
        .collect()
}

/// Emissions linked to a provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmissionsOf(pub ProvisionId);

impl Loader<EmissionsOf> for DbLoader {
    type Value = Vec<Emission>;
    type Error = ApiError;

    async fn load(&self, keys: &[EmissionsOf]) -> LoadResult<EmissionsOf, Vec<Emission>> {
        let provisions: Vec<ProvisionId> = keys.iter().map(|key| key.0).collect();
        let linked = crate::provisions::linked_emissions(&self.db, &provisions).await?;
        let ids: BTreeSet<EmissionId> = linked.values().flatten().copied().collect();
        let emissions: HashMap<EmissionId, Emission> =
            crate::emissions::find_many(&self.db, &ids.into_iter().collect::<Vec<_>>())
                .await?
                .into_iter()
                .map(|emission| (emission.id, emission))
                .collect();
        Ok(resolve_links(keys, |key| key.0, &linked, &emissions))
    }
}

/// The provisions covering an emission and the CO2 they offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoverageOf(pub EmissionId);

impl Loader<CoverageOf> for DbLoader {
    /// Shared: an emission's offset fields and its provisions all read it, and the cache hands
    /// each a clone.
    type Value = Arc<Coverage>;
    type Error = ApiError;

    async fn load(&self, keys: &[CoverageOf]) -> LoadResult<CoverageOf, Arc<Coverage>> {
        let emissions: Vec<EmissionId> = keys.iter().map(|key| key.0).collect();
        let coverage = crate::accounting::offsets::coverage(&self.db, &emissions).await?;
        Ok(coverage
            .into_iter()
            .map(|(id, coverage)| (CoverageOf(id), Arc::new(coverage)))
            .collect())
    }
}

/// The certificate of a provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertificateOf(pub ProvisionId);

impl Loader<CertificateOf> for DbLoader {
    type Value = Certificate;
    type Error = ApiError;

    async fn load(&self, keys: &[CertificateOf]) -> LoadResult<CertificateOf, Certificate> {
        let provisions: Vec<ProvisionId> = keys.iter().map(|key| key.0).collect();
        let certificates = crate::certificates::for_provisions(&self.db, &provisions).await?;
        Ok(certificates
            .into_iter()
            .map(|certificate| (CertificateOf(certificate.provision_id), certificate))
            .collect())
    }
}

/// The allocations of a provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AllocationsOf(pub ProvisionId);

impl Loader<AllocationsOf> for DbLoader {
    type Value = Vec<Allocation>;
    type Error = ApiError;

    async fn load(&self, keys: &[AllocationsOf]) -> LoadResult<AllocationsOf, Vec<Allocation>> {
        let provisions: Vec<ProvisionId> = keys.iter().map(|key| key.0).collect();
        let allocations = crate::provisions::allocations(&self.db, &provisions).await?;
        Ok(allocations
            .into_iter()
            .map(|(id, list)| (AllocationsOf(id), list))
            .collect())
    }
}

/// One page of one aircraft's emissions; batched across aircraft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AircraftEmissions {
    pub aircraft: AircraftId,
    pub page: Page,
}

impl Loader<AircraftEmissions> for DbLoader {
    type Value = Vec<Emission>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AircraftEmissions],
    ) -> LoadResult<AircraftEmissions, Vec<Emission>> {
        let mut pages: HashMap<Page, Vec<AircraftId>> = HashMap::new();
        for key in keys {
            pages.entry(key.page).or_default().push(key.aircraft);
        }
        let mut loaded: HashMap<AircraftEmissions, Vec<Emission>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (page, aircraft) in pages {
            for emission in crate::emissions::pages_for_aircraft(&self.db, &aircraft, page).await? {
                let key = AircraftEmissions {
                    aircraft: emission.aircraft_id,
                    page,
                };
                loaded.entry(key).or_default().push(emission);
            }
        }
        Ok(loaded)
    }
}

impl Loader<QuoteId> for DbLoader {
    type Value = Quote;
    type Error = ApiError;

    async fn load(&self, keys: &[QuoteId]) -> LoadResult<QuoteId, Quote> {
        let quotes = crate::payments::quotes::find_many(&self.db, keys).await?;
        Ok(quotes.into_iter().map(|quote| (quote.id, quote)).collect())
    }
}

impl Loader<PaymentId> for DbLoader {
    type Value = Payment;
    type Error = ApiError;

    async fn load(&self, keys: &[PaymentId]) -> LoadResult<PaymentId, Payment> {
        let payments = crate::payments::find_many(&self.db, keys).await?;
        Ok(payments
            .into_iter()
            .map(|payment| (payment.id, payment))
            .collect())
    }
}

/// The payment of a provision paid through the hosted checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaymentOf(pub ProvisionId);

impl Loader<PaymentOf> for DbLoader {
    type Value = Payment;
    type Error = ApiError;

    async fn load(&self, keys: &[PaymentOf]) -> LoadResult<PaymentOf, Payment> {
        let provisions: Vec<ProvisionId> = keys.iter().map(|key| key.0).collect();
        let payments = crate::payments::for_provisions(&self.db, &provisions).await?;
        Ok(payments
            .into_iter()
            .map(|(provision, payment)| (PaymentOf(provision), payment))
            .collect())
    }
}

/// A payment's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimelineOf(pub PaymentId);

impl Loader<TimelineOf> for DbLoader {
    type Value = Vec<PaymentEvent>;
    type Error = ApiError;

    async fn load(&self, keys: &[TimelineOf]) -> LoadResult<TimelineOf, Vec<PaymentEvent>> {
        let payments: Vec<PaymentId> = keys.iter().map(|key| key.0).collect();
        let timelines = crate::payments::timelines(&self.db, &payments).await?;
        Ok(timelines
            .into_iter()
            .map(|(id, events)| (TimelineOf(id), events))
            .collect())
    }
}
