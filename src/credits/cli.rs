//! The platform operator's `contrail credits …` commands: each validates its input, naming the
//! flag at fault, and prints the new id.

use super::ledger::{self, NewBatch};
use super::{ListingId, NewProject, ProjectId};
use crate::config::{Config, CreditsCommand};
use crate::graphql::node::{NodeKind, encode, parse_id};
use crate::units::{Grams, Money};

pub async fn run(config: &Config, command: CreditsCommand) -> Result<(), String> {
    let db = crate::cli::migrate(config).await?;
    match command {
        CreditsCommand::AddProject {
            name,
            method,
            registry,
            country,
            vintage,
            description,
        } => {
            let new = NewProject {
                name: required(&name, "--name")?,
                method: required(&method, "--method")?,
                registry: required(&registry, "--registry")?,
                country: country_code(&country)?,
                vintage: vintage_year(vintage)?,
                description: description.trim().to_owned(),
            };
            let id = super::add_project(&db, new)
                .await
                .map_err(|error| error.message())?;
            println!("{}", encode(NodeKind::CreditProject, id.0).0);
        }
        CreditsCommand::AddListing {
            project,
            unit_price,
            currency,
            min_fill_tonnes,
        } => {
            let project = ProjectId(parse_key(&project, NodeKind::CreditProject, "--project")?);
            if super::find_project(&db, project.0)
                .await
                .map_err(|error| error.message())?
                .is_none()
            {
                return Err(format!(
                    "--project: no project {project:?}",
                    project = project.0
                ));
            }
            let unit_price = Money::parse(unit_price, currency)
                .map_err(|message| format!("--unit-price: {message}"))?;
            if unit_price.minor == 0 {
                return Err("--unit-price: must be greater than 0".into());
            }
            let min_fill = if min_fill_tonnes.is_zero() {
                Grams::ZERO
            } else {
                Grams::parse_tonnes(min_fill_tonnes)
                    .map_err(|message| format!("--min-fill-tonnes: {message}"))?
            };
            let id = super::add_listing(&db, project, unit_price, min_fill)
                .await
                .map_err(|error| error.message())?;
            println!("{}", encode(NodeKind::Listing, id.0).0);
        }
        CreditsCommand::AddBatch {
            listing,
            serial_prefix,
            vintage,
            tonnes,
        } => {
            let listing = ListingId(parse_key(&listing, NodeKind::Listing, "--listing")?);
            let serial_prefix = serial(&serial_prefix)?;
            let quantity =
                Grams::parse_tonnes(tonnes).map_err(|message| format!("--tonnes: {message}"))?;
            let txn = crate::db::begin_write(&db)
                .await
                .map_err(|error| error.to_string())?;
            let new = NewBatch {
                listing,
                serial_prefix,
                vintage: vintage_year(vintage)?,
                quantity,
            };
            let id = ledger::add_batch(&txn, new)
                .await
                .map_err(|error| match error {
                    crate::error::Error::NotFound(_) => {
                        format!("--listing: no listing {}", listing.0)
                    }
                    other => other.message(),
                })?;
            txn.commit().await.map_err(|error| error.to_string())?;
            println!("{}", id.0);
        }
        CreditsCommand::List => list(&db).await.map_err(|error| error.message())?,
    }
    Ok(())
}

async fn list(db: &sea_orm::DatabaseConnection) -> crate::error::Result<()> {
    let listings = super::list_listings(db).await?;
    let available = ledger::available(
        db,
        &listings
            .iter()
            .map(|listing| listing.id)
            .collect::<Vec<_>>(),
    )
    .await?;
    for listing in &listings {
        let project = super::find_project(db, listing.project_id.0).await?;
        let name = project
            .as_ref()
            .map_or("?", |project| project.name.as_str());
        println!(
            "listing {}  {} {}/t  available {} t{}  — {name}",
            encode(NodeKind::Listing, listing.id.0).0,
            listing.unit_price.amount(),
            listing.unit_price.currency,
            available
                .get(&listing.id)
                .copied()
                .unwrap_or_default()
                .tonnes(),
            if listing.is_default {
                "  (default)"
            } else {
                ""
            },
        );
        for batch in ledger::list_batches(db, Some(listing.id)).await? {
            println!(
                "    batch {}  {}  vintage {}  {} t",
                batch.id.0,
                batch.serial_prefix,
                batch.vintage,
                batch.quantity.tonnes()
            );
        }
    }
    if listings.is_empty() {
        println!("no listings: add one with `contrail credits add-listing`");
    }
    Ok(())
}

/// A GraphQL ID of `kind`, or its plain number.
fn parse_key(input: &str, kind: NodeKind, flag: &str) -> Result<i64, String> {
    input
        .trim()
        .parse::<i64>()
        .or_else(|_| {
            parse_id(&async_graphql::ID(input.trim().to_owned()), kind, flag)
                .map_err(|error| error.message())
        })
        .map_err(|_| format!("{flag}: {input:?} is not an id"))
}

fn required(value: &str, flag: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 200 {
        return Err(format!("{flag}: must be 1 to 200 characters"));
    }
    Ok(value.to_owned())
}

fn country_code(value: &str) -> Result<String, String> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(format!(
            "--country: {value:?} is not an ISO 3166-1 alpha-2 code (e.g. FI)"
        ))
    }
}

fn vintage_year(year: i32) -> Result<i32, String> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(format!("--vintage: {year} is not a year from 2000 to 2100"))
    }
}

fn serial(value: &str) -> Result<String, String> {
    let prefix = value.trim();
    let valid = !prefix.is_empty()
        && prefix.len() <= 64
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(prefix.to_owned())
    } else {
        Err(format!(
            "--serial-prefix: {value:?} must be 1 to 64 letters, digits, '-', '_' or '.'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_operator_input() {
        assert_eq!(country_code("fi").unwrap(), "FI");
        assert!(country_code("FIN").unwrap_err().contains("--country"));
        assert!(vintage_year(1990).unwrap_err().contains("--vintage"));
        assert!(serial("has space").unwrap_err().contains("--serial-prefix"));
        assert_eq!(parse_key("7", NodeKind::Listing, "--listing"), Ok(7));
        assert_eq!(
            parse_key(
                &encode(NodeKind::Listing, 9).0,
                NodeKind::Listing,
                "--listing"
            ),
            Ok(9)
        );
        assert!(parse_key("nope", NodeKind::Listing, "--listing").is_err());
    }
}
