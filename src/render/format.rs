//! A format is what the campaign pipeline renders a customer into: which customers it can reach
//! (the channel and its consent), what its templates need, and how one customer becomes files.
//! Email is the first; microsites and video storyboards add their own implementations, and the
//! pipeline and its callers do not change.

use serde_json::Value;

use super::context::CustomerContext;
use super::eml::{message_id, to_eml, Envelope, Mailbox};
use super::missing::SlotCounter;
use crate::customers::reach::Reach;
use crate::templates::{EmailTemplate, Notes, RenderEnv};

/// The formats content can be given in.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatKind {
    Email,
    Microsite,
    Video,
}

impl FormatKind {
    /// Every format, in the order a campaign's variants list their content: the pipeline, the
    /// campaign document and the manifest take formats from here.
    pub const ALL: [FormatKind; 3] = [FormatKind::Email, FormatKind::Microsite, FormatKind::Video];

    /// The kind of workspace template that gives the format its content.
    pub fn template_kind(self) -> crate::templates::store::TemplateKind {
        use crate::templates::store::TemplateKind;
        match self {
            FormatKind::Email => TemplateKind::Email,
            FormatKind::Microsite => TemplateKind::Microsite,
            FormatKind::Video => TemplateKind::Storyboard,
        }
    }

    /// A channel reaches a customer by itself (an email goes to their address, with their
    /// consent); the other formats are reached through a channel's link (a personal site, a
    /// video: whoever is given the address).
    pub fn is_channel(self) -> bool {
        self == FormatKind::Email
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FormatKind::Email => "email",
            FormatKind::Microsite => "microsite",
            FormatKind::Video => "video",
        }
    }

    pub fn parse(text: &str) -> Option<FormatKind> {
        match text {
            "email" => Some(FormatKind::Email),
            "microsite" => Some(FormatKind::Microsite),
            "video" => Some(FormatKind::Video),
            _ => None,
        }
    }
}

/// Why a customer gets nothing of a campaign.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// No address for the format's channel (an email without an email address).
    NoAddress,
    /// Withdrew consent for the channel: a hard guard.
    OptedOut,
    /// The address is on the suppression list (bounces, complaints, by hand): a hard guard.
    Suppressed,
    /// Drawn into the holdout: rendered nothing, compared against later.
    Holdout,
}

impl Exclusion {
    /// As the manifest and the workspace spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::NoAddress => "no_address",
            Exclusion::OptedOut => "opted_out",
            Exclusion::Suppressed => "suppressed",
            Exclusion::Holdout => "holdout",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Exclusion> {
        [
            Exclusion::NoAddress,
            Exclusion::OptedOut,
            Exclusion::Suppressed,
            Exclusion::Holdout,
        ]
            .into_iter()
            .find(|e| e.as_str() == text)
    }
}

/// One customer as a format renders them: their merge data with the variant's values and their
/// links, and what identifies the message.
pub struct Recipient<'a> {
    pub customer: &'a CustomerContext,
    pub data: &'a Value,
    /// Unique per campaign, customer and run (Message-IDs are made from it).
    pub run_key: &'a str,
    /// The customer's personal URL slug in this campaign (empty when it has no microsite).
    pub slug: &'a str,
}

/// Why a customer could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// Something in this customer's data (a helper refused a value, the output grew too
    /// large): the customer is reported and the run goes on.
    Customer(String),
    /// Something no customer can be rendered without (ffmpeg, fonts, the disk): the run stops
    /// and replaces nothing.
    Run(String),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::Customer(m) | RenderError::Run(m) => f.write_str(m),
        }
    }
}

impl From<String> for RenderError {
    fn from(message: String) -> RenderError {
        RenderError::Customer(message)
    }
}

impl From<&str> for RenderError {
    fn from(message: &str) -> RenderError {
        RenderError::Customer(message.to_string())
    }
}

/// A rendered file: its name in the run's folder and its bytes.
pub struct Part {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// One compiled template of a format, ready for many customers on every core.
pub trait Rendering: Send + Sync {
    fn format(&self) -> FormatKind;

    /// A counter of this template's merge tags (missing values, unsafe links).
    fn counter(&self) -> SlotCounter;

    /// Renders one customer into `parts` (appended); `notes` collect what the render noticed.
    fn render(
        &self,
        recipient: &Recipient,
        parts: &mut Vec<Part>,
        notes: &mut Notes,
    ) -> Result<(), RenderError>;

    /// What every customer's files share, written once per run (a site's assets).
    fn shared(&self) -> Vec<Part> {
        Vec::new()
    }

    /// The merge fields its template uses: whether an email links the campaign's site or video.
    fn fields(&self) -> Vec<String> {
        Vec::new()
    }

    /// What the run's manifest says of this template, under `sites` (a site's pages and forms).
    fn manifest_section(&self) -> Option<crate::campaigns::manifest::SiteSection> {
        None
    }

    /// Missing fields and unsafe links counted over a run.
    fn report(&self, counter: &SlotCounter) -> (Vec<super::MissingField>, Vec<super::UnsafeLink>);
}

/// Whether a customer can receive a format at all, or why not: the format's channel needs an
/// address and no withdrawn consent.
pub fn eligibility(format: FormatKind, reach: Reach) -> Result<(), Exclusion> {
    match format {
        FormatKind::Email if reach.email_opted_out => Err(Exclusion::OptedOut),
        FormatKind::Email if reach.email_suppressed => Err(Exclusion::Suppressed),
        FormatKind::Email if !reach.email => Err(Exclusion::NoAddress),
        FormatKind::Email => Ok(()),
        // A personal site or video reaches whoever is given its address; a campaign that also
        // emails gives it to those it emails (see `campaigns::run`).
        FormatKind::Microsite | FormatKind::Video => Ok(()),
    }
}

/// How email is written: `.eml` messages ready to send, or the HTML alone to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailOutput {
    Eml,
    Html,
}

/// The email format: an MJML template as HTML pages or MIME messages.
pub struct EmailRendering {
    pub template: EmailTemplate,
    pub output: EmailOutput,
    pub from: Mailbox,
    /// RFC 2822, written into every message.
    pub date: String,
}

impl EmailRendering {
    /// The email format of a campaign: its MJML template compiled, sent from `from` on `date`.
    pub fn compile(
        source: &str,
        output: EmailOutput,
        from: Mailbox,
        date: &str,
    ) -> Result<EmailRendering, crate::templates::TemplateError> {
        Ok(EmailRendering {
            template: crate::templates::compile_email(source)?,
            output,
            from,
            date: date.to_string(),
        })
    }
}

impl Rendering for EmailRendering {
    fn format(&self) -> FormatKind {
        FormatKind::Email
    }

    fn fields(&self) -> Vec<String> {
        self.template
            .slots()
            .iter()
            .map(|s| s.field.clone())
            .collect()
    }

    fn counter(&self) -> SlotCounter {
        SlotCounter::new(&self.template)
    }

    fn render(
        &self,
        recipient: &Recipient,
        parts: &mut Vec<Part>,
        notes: &mut Notes,
    ) -> Result<(), RenderError> {
        let c = recipient.customer;
        let data = recipient.data;
        let (bytes, extension) = match self.output {
            // HTML straight from the plan into the buffer: no intermediate strings.
            EmailOutput::Html => {
                let env = RenderEnv {
                    locale: self.template.locale_for(data),
                };
                let mut buf = Vec::with_capacity(self.template.html.size_hint * 2);
                self.template
                    .html
                    .render(data, &env, &mut buf, notes)
                    .map_err(|e| e.to_string())?;
                (buf, "html")
            }
            EmailOutput::Eml => {
                let rendered = self
                    .template
                    .render(data, notes)
                    .map_err(|e| e.to_string())?;
                let name = data.get("name").and_then(Value::as_str).map(String::from);
                let to = Mailbox::new(name, c.email.as_deref().unwrap_or_default())
                    .ok_or("the customer's email address is not valid")?;
                let envelope = Envelope {
                    from: &self.from,
                    to,
                    unsubscribe_url: data
                        .get("unsubscribe_url")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    unsubscribe_mailto: data
                        .get("unsubscribe_mailto")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    message_id: message_id(recipient.run_key, c.id, &self.from),
                    date: &self.date,
                };
                (to_eml(&rendered, &envelope).into_bytes(), "eml")
            }
        };
        parts.push(Part {
            name: format!("{}.{extension}", c.id),
            bytes,
        });
        Ok(())
    }

    fn report(&self, counter: &SlotCounter) -> (Vec<super::MissingField>, Vec<super::UnsafeLink>) {
        (
            counter.missing(&self.template),
            counter.unsafe_links(&self.template),
        )
    }
}
