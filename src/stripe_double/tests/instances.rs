//! Several server instances on one database, as behind a load balancer: a session completes
//! once however many clicks race, and each event is delivered once.

use std::collections::HashSet;

use futures_util::future::join_all;
use stripe_checkout::CheckoutSessionStatus;
use stripe_checkout::checkout_session::RetrieveCheckoutSession;

use super::*;

on_both_databases!(instances_share_sessions_and_deliver_each_event_once);

async fn instances_share_sessions_and_deliver_each_event_once(backend: Backend) {
    let h = Harness::start(backend).await;
    let other = h.another_instance().await;
    let mut sessions = Vec::new();
    for _ in 0..5 {
        sessions.push(h.create_session(new_session()).await);
    }

    // Each session is paid twice at once, through each instance.
    let clicks = sessions.iter().flat_map(|session| {
        [
            h.press_on(&h.instance, session, "pay", "first@example.com"),
            h.press_on(&other, session, "pay", "second@example.com"),
        ]
    });
    let statuses: Vec<u16> = join_all(clicks)
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    for pair in statuses.chunks(2) {
        let mut pair = pair.to_vec();
        pair.sort_unstable();
        assert_eq!(pair, [303, 409], "{statuses:?}");
    }

    for session in &sessions {
        let events = h.receiver.wait_for(session.id.as_str(), 1).await;
        assert_eq!(types(&events), ["checkout.session.completed"]);
        let seen = RetrieveCheckoutSession::new(session.id.clone())
            .send(&other.stripe)
            .await
            .unwrap();
        assert_eq!(seen.status, Some(CheckoutSessionStatus::Complete));
    }
    // Time for a duplicate delivery to show up, if there were one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deliveries = h.receiver.deliveries();
    let ids: HashSet<String> = deliveries
        .iter()
        .map(|delivery| {
            let body: serde_json::Value = serde_json::from_str(&delivery.body).unwrap();
            body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!((deliveries.len(), ids.len()), (5, 5));
}
