//! How a message leaves: over SMTP with lettre (rustls) when `CONTRAIL_SMTP_URL` is set, or
//! into the log, where a developer reads it.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Mail;

#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    /// Hands `mail` over; an error is retried later.
    async fn send(&self, mail: &Mail) -> Result<(), String>;
}

/// Without SMTP: the message is logged (and stays in the outbox, marked sent).
pub struct LogTransport;

#[async_trait::async_trait]
impl Transport for LogTransport {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.text, "e-mail (no CONTRAIL_SMTP_URL: logged, not sent)");
        Ok(())
    }
}

pub struct SmtpTransport {
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpTransport {
    /// `url` as lettre reads it: `smtp://host:port`, `smtp://host:port?tls=required`,
    /// `smtps://host:port`; `from` a mailbox such as `Contrail <no-reply@example.com>`.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| format!("CONTRAIL_SMTP_URL: {error}"))?
            .build();
        let from = from
            .parse()
            .map_err(|error| format!("CONTRAIL_MAIL_FROM: {error}"))?;
        Ok(SmtpTransport { smtp, from })
    }
}

#[async_trait::async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|error| format!("recipient {:?}: {error}", mail.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(mail.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(mail.html.clone()),
                    ),
            )
            .map_err(|error| error.to_string())?;
        self.smtp
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| error.to_string())
    }
}
