//! Live payment status (SPEC §6): the state at once, then every change, wherever it happened.
//! Told that a payment changed ([`crate::events`]), a stream reads the steps its timeline
//! gained since it last looked and sends each that changed `status` or `retirementStatus`:
//! a change that is quickly followed by another is still sent, and a repeated or rolled-back
//! notification sends nothing.

use std::collections::{HashMap, VecDeque};

use async_graphql::{Context, ID, Subscription};
use chrono::Utc;
use futures_util::stream::{self, Stream, StreamExt};

use super::context::{ContextExt, Viewer};
use super::errors::{ApiError, ApiResult};
use super::id::parse;
use super::types::payment::PaymentNode;
use crate::app::App;
use crate::events::{Topic, Watch};
use crate::ids::{OrganizationId, PaymentId};
use crate::payments::{self, Payment, PaymentEvent, PaymentStatus, RetirementStatus};

/// Payments a dashboard remembers where it is in their timelines.
const REMEMBERED: usize = 10_000;
/// A dashboard that may have missed changes re-reads those of the last minutes (at most
/// [`RESYNC_LIMIT`] payments): a dashboard shows what is happening now, not a history.
const RESYNC_WINDOW: chrono::Duration = chrono::Duration::minutes(10);
const RESYNC_LIMIT: u64 = 500;

#[derive(Default)]
pub struct SubscriptionRoot;

type Items = async_graphql::Result<PaymentNode>;

/// Live payment status over WebSocket (`graphql-transport-ws`, or the legacy `graphql-ws`)
/// on `/graphql`: send `{ Authorization: "Bearer <API key>" }`, or a payment's
/// `{ clientSecret }`, in `connection_init`.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The payment now, then each change of its `status` or `retirementStatus`; completes once
    /// nothing more will change (retired, or failed, cancelled, expired or refunded). Open to
    /// the payment's organization, or to a browser holding its `clientSecret` (sent as
    /// `{ clientSecret }` in `connection_init`). A payment that is neither is `NOT_FOUND`.
    async fn payment_status_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payment's global ID.")] payment_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = Items> + use<>> {
        let id: PaymentId = parse(&payment_id, "paymentId")?;
        let allowed = match ctx.viewer() {
            Viewer::Organization(organization) => Some(organization),
            Viewer::Customer(payment) if payment == id => None,
            _ => return Err(ApiError::not_found("Payment").into()),
        };
        let app = ctx.app().clone();
        // Following first, then reading: a change in between is not missed.
        let watch = app.events.watch(Topic::Payment(id));
        let follower = PaymentFollower::start(app, watch, id, allowed).await?;
        Ok(follower.into_stream().map(|item| item.map_err(Into::into)))
    }

    /// Every change of your organization's payments, as it happens (for dashboards); never
    /// completes. Needs your API key (`UNAUTHENTICATED`).
    async fn payments_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Items> + use<>> {
        let organization = ctx.organization()?;
        let app = ctx.app().clone();
        // Following first, then reading: a payment created in between is followed from its
        // first step.
        let watch = app.events.watch(Topic::Organization(organization));
        let known = payments::latest_step(&app.db)
            .await
            .map_err(ApiError::from)?;
        let follower = OrganizationFollower {
            watch,
            app,
            organization,
            positions: HashMap::new(),
            known,
        };
        Ok(follower.into_stream().map(|item| item.map_err(Into::into)))
    }
}

type Followed = (PaymentStatus, RetirementStatus);

fn followed(payment: &Payment) -> Followed {
    (payment.status, payment.retirement_status)
}

/// Where a follower is in one payment's timeline.
#[derive(Default, Clone, Copy)]
struct Position {
    step: Option<i64>,
    sent: Option<Followed>,
}

impl Position {
    /// The states of `current`'s timeline after this position that change what was sent.
    async fn advance(&mut self, app: &App, current: &Payment) -> ApiResult<Vec<Payment>> {
        let steps = payments::steps_after(&app.db, current.id, self.step).await?;
        Ok(self.follow(current, &steps))
    }

    /// The states of `steps` (of `current`'s timeline, after this position) that change what
    /// was sent.
    fn follow(&mut self, current: &Payment, steps: &[PaymentEvent]) -> Vec<Payment> {
        let mut changed = Vec::new();
        for step in steps {
            self.step = Some(step.id);
            let state = payments::as_of(current, step);
            if Some(followed(&state)) != self.sent {
                self.sent = Some(followed(&state));
                changed.push(state);
            }
        }
        changed
    }

    /// Starts at the step of `current`'s timeline that `current` shows, as sent. Not simply the
    /// last step: one may have been added since `current` was read, and would never be sent.
    async fn at_latest(app: &App, current: &Payment) -> ApiResult<Position> {
        let steps = payments::steps_after(&app.db, current.id, None).await?;
        Ok(Position::shown(current, &steps))
    }

    /// The position of `current` in its timeline `steps`, its state as sent.
    fn shown(current: &Payment, steps: &[PaymentEvent]) -> Position {
        Position {
            step: steps
                .iter()
                .rfind(|step| step.at <= current.updated_at)
                .map(|step| step.id),
            sent: Some(followed(current)),
        }
    }

    /// Where a follower starts on a payment it first hears of, and the states to send: every
    /// state of a payment created after the follower's step `known` (it may have gone through
    /// several before the follower read it), only its state now for an older one.
    async fn first_heard(
        app: &App,
        current: &Payment,
        known: Option<i64>,
    ) -> ApiResult<(Position, Vec<Payment>)> {
        let steps = payments::steps_after(&app.db, current.id, None).await?;
        let created_since = steps
            .first()
            .is_some_and(|first| known.is_none_or(|known| first.id > known));
        if created_since {
            let mut position = Position::default();
            let changed = position.follow(current, &steps);
            Ok((position, changed))
        } else {
            Ok((Position::shown(current, &steps), vec![current.clone()]))
        }
    }
}

struct PaymentFollower {
    app: App,
    watch: Watch,
    id: PaymentId,
    position: Position,
    queue: VecDeque<Payment>,
    done: bool,
}

impl PaymentFollower {
    async fn start(
        app: App,
        watch: Watch,
        id: PaymentId,
        organization: Option<OrganizationId>,
    ) -> ApiResult<PaymentFollower> {
        let payment = payments::find_many(&app.db, &[id]).await?.pop();
        let payment = payment
            .filter(|payment| organization.is_none_or(|org| payment.organization_id == org))
            .ok_or_else(|| ApiError::not_found("Payment"))?;
        let position = Position::at_latest(&app, &payment).await?;
        Ok(PaymentFollower {
            app,
            watch,
            id,
            position,
            queue: VecDeque::from([payment]),
            done: false,
        })
    }

    fn into_stream(self) -> impl Stream<Item = ApiResult<PaymentNode>> {
        stream::unfold(self, |mut follower| async move {
            if follower.done {
                return None;
            }
            match follower.next().await {
                Ok(payment) => {
                    follower.done = payment.is_settled();
                    Some((Ok(PaymentNode(payment)), follower))
                }
                Err(error) => {
                    follower.done = true;
                    Some((Err(error), follower))
                }
            }
        })
    }

    async fn next(&mut self) -> ApiResult<Payment> {
        loop {
            if let Some(payment) = self.queue.pop_front() {
                return Ok(payment);
            }
            self.watch.changed().await;
            let current = payments::find_many(&self.app.db, &[self.id]).await?.pop();
            let current = current.ok_or_else(|| ApiError::not_found("Payment"))?;
            let changed = self.position.advance(&self.app, &current).await?;
            self.queue.extend(changed);
        }
    }
}

struct OrganizationFollower {
    app: App,
    watch: Watch,
    organization: OrganizationId,
    positions: HashMap<PaymentId, Position>,
    /// The latest step of any timeline when the follower last forgot positions (or started):
    /// a payment first heard of whose timeline starts after it is followed from its start.
    known: Option<i64>,
}

impl OrganizationFollower {
    fn into_stream(self) -> impl Stream<Item = ApiResult<PaymentNode>> {
        stream::unfold(Some(self), |follower| async move {
            let mut follower = follower?;
            match follower.next_changes().await {
                Ok(changed) => {
                    let nodes = changed.into_iter().map(|payment| Ok(PaymentNode(payment)));
                    Some((stream::iter(nodes).boxed(), Some(follower)))
                }
                Err(error) => Some((stream::iter([Err(error)]).boxed(), None)),
            }
        })
        .flatten()
    }

    /// Waits for changes; the states the organization's payments went through since.
    async fn next_changes(&mut self) -> ApiResult<Vec<Payment>> {
        loop {
            let dirty = self.watch.changed().await;
            let candidates = if dirty.resync {
                let since = Utc::now() - RESYNC_WINDOW;
                payments::changed_since(&self.app.db, self.organization, since, RESYNC_LIMIT)
                    .await?
            } else {
                let ids: Vec<PaymentId> = dirty.payments.into_iter().collect();
                payments::find_many(&self.app.db, &ids).await?
            };
            if self.positions.len() + candidates.len() > REMEMBERED {
                self.positions.clear();
                // Payments heard of before are not followed from their start again.
                self.known = payments::latest_step(&self.app.db).await?;
            }
            let mut changed = Vec::new();
            for current in candidates
                .iter()
                .filter(|payment| payment.organization_id == self.organization)
            {
                match self.positions.get_mut(&current.id) {
                    Some(position) => changed.extend(position.advance(&self.app, current).await?),
                    None => {
                        let (position, states) =
                            Position::first_heard(&self.app, current, self.known).await?;
                        self.positions.insert(current.id, position);
                        changed.extend(states);
                    }
                }
            }
            if !changed.is_empty() {
                return Ok(changed);
            }
        }
    }
}
