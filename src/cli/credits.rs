//! The platform operator's `contrail credits …` commands: each validates its input, naming the
//! flag at fault, and prints the new id.

use super::CreditsCommand;
use crate::api::id::{GlobalId, decode};
use crate::config::Config;
use crate::credits::ledger::{self, NewBatch};
use crate::credits::{self, NewProject};
use crate::ids::{ListingId, ProjectId};
use crate::units::{Grams, Money};

pub async fn run(config: &Config, command: CreditsCommand) -> Result<(), String> {
    let db = super::migrate(config).await?;
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
            let id = credits::add_project(&db, new)
                .await
                .map_err(|error| error.to_string())?;
            println!("{}", id.to_id().0);
        }
        CreditsCommand::AddListing {
            project,
            unit_price,
            currency,
            min_fill_tonnes,
        } => {
            let project: ProjectId = parse_key(&project, "--project")?;
            if credits::find_project(&db, project)
                .await
                .map_err(|error| error.to_string())?
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
            let id = credits::add_listing(&db, project, unit_price, min_fill)
                .await
                .map_err(|error| error.to_string())?;
            println!("{}", id.to_id().0);
        }
        CreditsCommand::AddBatch {
            listing,
            serial_prefix,
            vintage,
            tonnes,
        } => {
            let listing: ListingId = parse_key(&listing, "--listing")?;
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
                    other => other.to_string(),
                })?;
            txn.commit().await.map_err(|error| error.to_string())?;
            println!("{}", id.0);
        }
        CreditsCommand::List => list(&db).await.map_err(|error| error.to_string())?,
    }
    Ok(())
}

async fn list(db: &sea_orm::DatabaseConnection) -> crate::error::Result<()> {
    let listings = credits::list_listings(db).await?;
    let available = ledger::available(
        db,
        &listings
            .iter()
            .map(|listing| listing.id)
            .collect::<Vec<_>>(),
    )
    .await?;
    for listing in &listings {
        let project = credits::find_project(db, listing.project_id).await?;
        let name = project
            .as_ref()
            .map_or("?", |project| project.name.as_str());
        println!(
            "listing {}  {} {}/t  available {} t{}  — {name}",
            listing.id.to_id().0,
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

/// A GraphQL ID of the right kind, or its plain number.
fn parse_key<T: GlobalId>(input: &str, flag: &str) -> Result<T, String> {
    let input = input.trim();
    input
        .parse::<i64>()
        .ok()
        .or_else(|| {
            decode(input)
                .filter(|(kind, _)| *kind == T::KIND)
                .and_then(|(_, key)| key.parse().ok())
        })
        .map(T::from_key)
        .ok_or_else(|| {
            format!(
                "{flag}: {} is not an id of a {}",
                crate::error::quote(input),
                T::KIND.name()
            )
        })
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
        assert_eq!(parse_key("7", "--listing"), Ok(ListingId(7)));
        assert_eq!(
            parse_key(&ListingId(9).to_id().0, "--listing"),
            Ok(ListingId(9))
        );
        assert!(parse_key::<ListingId>("nope", "--listing").is_err());
        assert!(parse_key::<ListingId>(&ProjectId(9).to_id().0, "--listing").is_err());
    }
}
