//! Certificates: the public proof of a provision, numbered per year, `PENDING` until the
//! credits are retired, `ISSUED` after, `VOID` if the provision is cancelled.

pub mod entity;
pub mod graphql;
pub mod page;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::error::{Error, Result};
use crate::provisions::ProvisionId;
use entity::{certificate, counter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum CertificateStatus {
    Pending,
    Issued,
    Void,
}

impl CertificateStatus {
    fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Pending => "PENDING",
            CertificateStatus::Issued => "ISSUED",
            CertificateStatus::Void => "VOID",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        [
            CertificateStatus::Pending,
            CertificateStatus::Issued,
            CertificateStatus::Void,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

#[derive(Debug, Clone)]
pub struct Certificate {
    pub id: i64,
    pub provision_id: ProvisionId,
    pub public_id: String,
    pub number: String,
    pub status: CertificateStatus,
    pub created_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
}

impl Certificate {
    fn from_row(row: certificate::Model) -> Result<Self, DbErr> {
        Ok(Certificate {
            status: CertificateStatus::parse(&row.status)
                .ok_or_else(|| DbErr::Custom(format!("certificate {}: bad status", row.id)))?,
            id: row.id,
            provision_id: ProvisionId(row.provision_id),
            public_id: row.public_id,
            number: row.number,
            created_at: row.created_at,
            issued_at: row.issued_at,
            voided_at: row.voided_at,
        })
    }

    /// Where the public page lives.
    pub fn url(&self, public_url: &str) -> String {
        format!("{public_url}/certificates/{}", self.public_id)
    }
}

/// Creates the pending certificate of a new provision, with the year's next number.
pub async fn create(
    db: &impl ConnectionTrait,
    provision: ProvisionId,
    now: DateTime<Utc>,
) -> Result<Certificate> {
    let year = now.year();
    // Atomic on both databases: concurrent provisions get distinct, gapless numbers.
    let next = Query::insert()
        .into_table(counter::Entity)
        .columns([counter::Column::Year, counter::Column::LastNumber])
        .values_panic([year.into(), 1_i64.into()])
        .on_conflict(
            OnConflict::column(counter::Column::Year)
                .value(
                    counter::Column::LastNumber,
                    Expr::col((counter::Entity, counter::Column::LastNumber)).add(1),
                )
                .to_owned(),
        )
        .returning_col(counter::Column::LastNumber)
        .to_owned();
    let row = db
        .query_one(&next)
        .await?
        .ok_or_else(|| Error::internal(DbErr::Custom("no certificate number".into())))?;
    let number: i64 = row.try_get("", "last_number")?;
    let row = certificate::ActiveModel {
        provision_id: Set(provision.0),
        public_id: Set(random_public_id()?),
        number: Set(format!("CTR-{year}-{number:06}")),
        status: Set(CertificateStatus::Pending.as_str().to_owned()),
        created_at: Set(now),
        issued_at: Set(None),
        voided_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Certificate::from_row(row)?)
}

fn random_public_id() -> Result<String> {
    let mut bytes = [0_u8; PUBLIC_ID_BYTES];
    getrandom::fill(&mut bytes).map_err(|error| Error::internal(std::io::Error::other(error)))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Moves the provision's certificate from `PENDING` to `status`.
pub async fn settle(
    db: &impl ConnectionTrait,
    provision: ProvisionId,
    status: CertificateStatus,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut update = certificate::Entity::update_many()
        .col_expr(certificate::Column::Status, Expr::value(status.as_str()))
        .filter(certificate::Column::ProvisionId.eq(provision.0))
        .filter(certificate::Column::Status.eq(CertificateStatus::Pending.as_str()));
    update = match status {
        CertificateStatus::Issued => {
            update.col_expr(certificate::Column::IssuedAt, Expr::value(at))
        }
        CertificateStatus::Void => update.col_expr(certificate::Column::VoidedAt, Expr::value(at)),
        CertificateStatus::Pending => update,
    };
    update.exec(db).await?;
    Ok(())
}

/// Whether `input` has the shape of a public id (16 random bytes, URL-safe base64): anything
/// else names no certificate and never reaches the database.
pub fn is_public_id(input: &str) -> bool {
    input.len() == PUBLIC_ID_CHARS
        && input
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

const PUBLIC_ID_BYTES: usize = 16;
/// Unpadded base64 of [`PUBLIC_ID_BYTES`].
const PUBLIC_ID_CHARS: usize = 22;

pub async fn find_by_public_id(
    db: &impl ConnectionTrait,
    public_id: &str,
) -> Result<Option<Certificate>> {
    if !is_public_id(public_id) {
        return Ok(None);
    }
    let row = certificate::Entity::find()
        .filter(certificate::Column::PublicId.eq(public_id))
        .one(db)
        .await?;
    Ok(row.map(Certificate::from_row).transpose()?)
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Certificate>> {
    Ok(certificate::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Certificate::from_row)
        .transpose()?)
}

pub async fn for_provisions(
    db: &impl ConnectionTrait,
    provisions: &[ProvisionId],
) -> Result<Vec<Certificate>> {
    let rows = certificate::Entity::find()
        .filter(certificate::Column::ProvisionId.is_in(provisions.iter().map(|id| id.0)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(Certificate::from_row)
        .collect::<Result<_, _>>()?)
}
