//! Certificates: the public proof of a provision, numbered per year, `PENDING` until the
//! credits are retired, `ISSUED` after, `VOID` if the provision is cancelled.

pub mod entity;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, DeriveActiveEnum, EntityTrait, EnumIter,
    QueryFilter, Set,
};

use crate::error::{Error, Result};
use crate::ids::{CertificateId, ProvisionId};
use entity::{certificate, counter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CertificateStatus {
    /// The credits are allocated and being retired.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The credits are retired.
    #[sea_orm(string_value = "ISSUED")]
    Issued,
    /// The provision was cancelled; nothing was retired.
    #[sea_orm(string_value = "VOID")]
    Void,
}

pub type Certificate = certificate::Model;

impl certificate::Model {
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
        provision_id: Set(provision),
        public_id: Set(crate::tokens::random_token(PUBLIC_ID_BYTES)?),
        number: Set(format!("CTR-{year}-{number:06}")),
        status: Set(CertificateStatus::Pending),
        created_at: Set(now),
        issued_at: Set(None),
        voided_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row)
}

/// Moves the provision's certificate from `PENDING` to `status`.
pub async fn settle(
    db: &impl ConnectionTrait,
    provision: ProvisionId,
    status: CertificateStatus,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut update = certificate::Entity::update_many()
        .col_expr(certificate::Column::Status, Expr::value(status))
        .filter(certificate::Column::ProvisionId.eq(provision))
        .filter(certificate::Column::Status.eq(CertificateStatus::Pending));
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
    Ok(row)
}

pub async fn find(db: &impl ConnectionTrait, id: CertificateId) -> Result<Option<Certificate>> {
    Ok(certificate::Entity::find_by_id(id).one(db).await?)
}

pub async fn for_provisions(
    db: &impl ConnectionTrait,
    provisions: &[ProvisionId],
) -> Result<Vec<Certificate>> {
    Ok(certificate::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            certificate::Column::ProvisionId,
            provisions.iter().map(|id| id.0),
        ))
        .all(db)
        .await?)
}
