//! The command line: subcommands and their arguments; the settings every command shares are
//! in [`crate::config::Settings`].

use clap::{Parser, Subcommand};

use crate::config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "contrail",
    version,
    about = "Carbon-offset checkout API for flights"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server (the default).
    Serve,
    /// Apply database migrations and seed reference data, then exit.
    Migrate,
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Print the OpenAPI 3.1 document of the REST routes (JSON).
    Openapi,
    /// Manage the credit supply (platform operator).
    #[command(subcommand)]
    Credits(CreditsCommand),
}

#[derive(Debug, Subcommand)]
pub enum CreditsCommand {
    /// Add a carbon-removal project; prints its id.
    AddProject {
        #[arg(long)]
        name: String,
        /// Removal method, e.g. `Biochar`.
        #[arg(long)]
        method: String,
        /// Registry that certifies the credits, e.g. `Puro.earth`.
        #[arg(long)]
        registry: String,
        /// ISO 3166-1 alpha-2 country code.
        #[arg(long)]
        country: String,
        #[arg(long)]
        vintage: i32,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Put a project's credits on sale at a price per tonne; prints the listing id.
    AddListing {
        /// Project id (as printed by add-project).
        #[arg(long)]
        project: String,
        /// Price of one tonne in major units, e.g. `150.00`.
        #[arg(long)]
        unit_price: rust_decimal::Decimal,
        #[arg(long, default_value = "USD")]
        currency: crate::units::Currency,
        /// Smallest quantity sold.
        #[arg(long, default_value = "0")]
        min_fill_tonnes: rust_decimal::Decimal,
    },
    /// Add a batch of credits to a listing's supply; prints the batch id.
    AddBatch {
        /// Listing id (as printed by add-listing).
        #[arg(long)]
        listing: String,
        /// The registry's serial prefix of the batch, unique.
        #[arg(long)]
        serial_prefix: String,
        #[arg(long)]
        vintage: i32,
        #[arg(long)]
        tonnes: rust_decimal::Decimal,
    },
    /// List projects, listings and batches with their free supply.
    List,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization and print its API key (shown once).
    Create {
        #[arg(long)]
        name: String,
    },
    /// Manage an organization's API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the keys (prefix, created, last used, revoked); never their secrets.
    List {
        #[arg(long)]
        org: i64,
    },
    /// Issue another key and print it (shown once).
    Create {
        #[arg(long)]
        org: i64,
    },
    /// Revoke a key (by the id `list` shows): refused from the next request on.
    Revoke {
        #[arg(long)]
        org: i64,
        #[arg(long)]
        key: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("contrail").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_need_no_configuration() {
        let cli = parse(&[]).unwrap();
        let config = Config::from_settings(cli.settings);
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert_eq!(config.database_url, "sqlite://contrail.db?mode=rwc");
        assert!(cli.command.is_none());
    }

    #[test]
    fn bad_values_name_their_flag() {
        let error = parse(&["--fee-bps", "20000"]).unwrap_err().to_string();
        assert!(error.contains("--fee-bps"), "{error}");
        let error = parse(&["--public-url", "ftp://x"]).unwrap_err().to_string();
        assert!(error.contains("--public-url"), "{error}");
        let error = parse(&["--database-url", "mysql://x"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--database-url"), "{error}");
        let error = parse(&["--listen", "nowhere"]).unwrap_err().to_string();
        assert!(error.contains("--listen"), "{error}");
    }

    #[test]
    fn public_url_loses_its_trailing_slash() {
        let cli = parse(&["--public-url", "https://offsets.example.com/"]).unwrap();
        assert_eq!(
            Config::from_settings(cli.settings).public_url,
            "https://offsets.example.com"
        );
    }

    #[test]
    fn org_create_takes_a_name() {
        let cli = parse(&["org", "create", "--name", "Acme Air"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Org(OrgCommand::Create { name })) if name == "Acme Air")
        );
    }
}
