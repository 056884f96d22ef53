//! The analytics events and their fixed schema: which fields each event may carry, which it must,
//! and how long a string may be. Unknown events and unknown fields are refused, not ignored, so
//! a retailer who sends more than the schema allows finds out at once instead of leaking it.

/// Longest free-text field (a search term, a page name), in characters.
pub const MAX_TEXT_CHARS: usize = 100;
/// Longest product identifier (SKU), in characters (the server's limit for products too).
pub const MAX_PRODUCT_CHARS: usize = 128;
/// Longest reason or kind code (`person_detected`), in characters.
pub const MAX_CODE_CHARS: usize = 40;
/// Largest order value accepted (in the order's currency).
pub const MAX_ORDER_VALUE: f64 = 1_000_000_000.0;
/// Largest position or quantity.
pub const MAX_COUNT: u32 = 10_000;

/// Every event there is. The first fourteen come from the widget and carry its random session
/// id; the last six come from the retailer's own pages through `Vitrine.track`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventName {
    /// The widget's panel opened.
    Opened,
    /// The pre-flight notice was shown.
    NoticeShown,
    /// The shopper accepted the notice.
    ConsentGiven,
    /// The shopper declined the notice.
    ConsentDeclined,
    /// A photo was picked, taken or dropped.
    PhotoChosen,
    /// A photo was refused (`reason`: the error code).
    PhotoRejected,
    /// The cleaned photo was uploaded for a render.
    Uploaded,
    /// A render was shown.
    RenderSucceeded,
    /// A render failed (`kind`: the error code).
    RenderFailed,
    /// The render was saved on the shopper's device.
    SavedOnDevice,
    /// The render was shared to the retailer's gallery.
    Shared,
    /// A shared render was withdrawn (recorded by the server when the link is used).
    ShareWithdrawn,
    /// The render was sent by email (a lead).
    Emailed,
    /// The panel closed.
    Closed,
    /// A page of the shop was viewed (`page`: the retailer's own name for it, optional).
    PageView,
    /// A product page was viewed (`product`).
    ProductView,
    /// A search (`term`).
    Search,
    /// A product in a list was clicked (`product`, optional `position`).
    ItemClick,
    /// A product was added to the cart (`product`, optional `quantity`).
    AddToCart,
    /// An order was placed (`value`, `currency`; never an order id).
    Purchase,
}

/// How a field is checked and where it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A machine code: `[a-z][a-z0-9_]*`, at most [`MAX_CODE_CHARS`]. Kept in `detail`.
    Code,
    /// Free text: 1 to [`MAX_TEXT_CHARS`] characters, no control characters. Kept in `detail`.
    Text,
    /// A product identifier: 1 to [`MAX_PRODUCT_CHARS`] characters. Kept in `product`.
    Product,
    /// A whole number 0 to [`MAX_COUNT`] (1 to it for a quantity). Kept in `amount`.
    Count {
        /// The smallest value allowed.
        min: u32,
    },
    /// A non-negative amount of money up to [`MAX_ORDER_VALUE`]. Kept in `amount`.
    Money,
    /// An ISO 4217 currency code: three capital letters. Kept in `currency`.
    Currency,
}

/// One field an event may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Its name on the wire.
    pub name: &'static str,
    /// How it is checked.
    pub kind: FieldKind,
    /// Whether the event is refused without it.
    pub required: bool,
}

const fn field(name: &'static str, kind: FieldKind, required: bool) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required,
    }
}

impl EventName {
    /// Every event, widget events first.
    pub const ALL: [EventName; 20] = [
        EventName::Opened,
        EventName::NoticeShown,
        EventName::ConsentGiven,
        EventName::ConsentDeclined,
        EventName::PhotoChosen,
        EventName::PhotoRejected,
        EventName::Uploaded,
        EventName::RenderSucceeded,
        EventName::RenderFailed,
        EventName::SavedOnDevice,
        EventName::Shared,
        EventName::ShareWithdrawn,
        EventName::Emailed,
        EventName::Closed,
        EventName::PageView,
        EventName::ProductView,
        EventName::Search,
        EventName::ItemClick,
        EventName::AddToCart,
        EventName::Purchase,
    ];

    /// Its name on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Opened => "opened",
            EventName::NoticeShown => "notice_shown",
            EventName::ConsentGiven => "consent_given",
            EventName::ConsentDeclined => "consent_declined",
            EventName::PhotoChosen => "photo_chosen",
            EventName::PhotoRejected => "photo_rejected",
            EventName::Uploaded => "uploaded",
            EventName::RenderSucceeded => "render_succeeded",
            EventName::RenderFailed => "render_failed",
            EventName::SavedOnDevice => "saved_on_device",
            EventName::Shared => "shared",
            EventName::ShareWithdrawn => "share_withdrawn",
            EventName::Emailed => "emailed",
            EventName::Closed => "closed",
            EventName::PageView => "page_view",
            EventName::ProductView => "product_view",
            EventName::Search => "search",
            EventName::ItemClick => "item_click",
            EventName::AddToCart => "add_to_cart",
            EventName::Purchase => "purchase",
        }
    }

    /// The event with this wire name.
    pub fn parse(name: &str) -> Option<EventName> {
        EventName::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// Whether the widget sends it (with a session id) rather than the retailer's pages.
    pub fn is_widget_event(self) -> bool {
        (self as usize) < (EventName::PageView as usize)
    }

    /// The fields it may carry beyond `name`, `at` (and, for widget events, `session` and
    /// `first`).
    pub fn fields(self) -> &'static [FieldSpec] {
        use FieldKind::*;
        match self {
            EventName::PhotoRejected => {
                const F: &[FieldSpec] = &[field("reason", Code, true)];
                F
            }
            EventName::RenderFailed => {
                const F: &[FieldSpec] = &[field("kind", Code, true)];
                F
            }
            EventName::PageView => {
                const F: &[FieldSpec] = &[field("page", Text, false)];
                F
            }
            EventName::ProductView => {
                const F: &[FieldSpec] = &[field("product", Product, true)];
                F
            }
            EventName::Search => {
                const F: &[FieldSpec] = &[field("term", Text, true)];
                F
            }
            EventName::ItemClick => {
                const F: &[FieldSpec] = &[
                    field("product", Product, true),
                    field("position", Count { min: 0 }, false),
                ];
                F
            }
            EventName::AddToCart => {
                const F: &[FieldSpec] = &[
                    field("product", Product, true),
                    field("quantity", Count { min: 1 }, false),
                ];
                F
            }
            EventName::Purchase => {
                const F: &[FieldSpec] = &[
                    field("value", Money, true),
                    field("currency", Currency, true),
                ];
                F
            }
            _ => &[],
        }
    }
}

/// One event, checked: the shape every store and every aggregate works from.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Which event.
    pub name: EventName,
    /// When it happened, in milliseconds since the Unix epoch (the browser's clock).
    pub at: u64,
    /// The widget's random session id (widget events only): 32 lowercase hex digits.
    pub session: Option<String>,
    /// Whether this is the first event of its name in its widget session (what the funnel
    /// counts, so it needs no session id to count sessions).
    pub first: bool,
    /// The code or text field (`reason`, `kind`, `page`, `term`), under its wire name.
    pub detail: Option<String>,
    /// The product identifier.
    pub product: Option<String>,
    /// The number (`position`, `quantity`, `value`).
    pub amount: Option<f64>,
    /// The currency of a purchase.
    pub currency: Option<String>,
}

impl Event {
    /// The event as the wire carries it (one JSON object, fields under their wire names).
    pub fn to_json(&self) -> String {
        use serde_json::Value;
        let mut object = serde_json::Map::new();
        object.insert("name".into(), Value::from(self.name.as_str()));
        object.insert("at".into(), Value::from(self.at));
        if let Some(session) = &self.session {
            object.insert("session".into(), Value::from(session.as_str()));
        }
        if self.first {
            object.insert("first".into(), Value::Bool(true));
        }
        for spec in self.name.fields() {
            let wire = match spec.kind {
                FieldKind::Code | FieldKind::Text => self.detail.as_deref().map(Value::from),
                FieldKind::Product => self.product.as_deref().map(Value::from),
                FieldKind::Currency => self.currency.as_deref().map(Value::from),
                FieldKind::Count { .. } => self.amount.map(|n| Value::from(n as u64)),
                FieldKind::Money => self
                    .amount
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number),
            };
            if let Some(wire) = wire {
                object.insert(spec.name.to_owned(), wire);
            }
        }
        Value::Object(object).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_split_into_widget_and_retailer_events() {
        for name in EventName::ALL {
            assert_eq!(EventName::parse(name.as_str()), Some(name));
        }
        assert_eq!(EventName::parse("Opened"), None);
        let widget = EventName::ALL
            .iter()
            .filter(|e| e.is_widget_event())
            .count();
        assert_eq!(widget, 14);
        assert!(!EventName::Purchase.is_widget_event());
        assert!(EventName::Closed.is_widget_event());
    }

    #[test]
    fn every_event_keeps_at_most_one_text_one_number() {
        for name in EventName::ALL {
            let fields = name.fields();
            let texts = fields
                .iter()
                .filter(|f| matches!(f.kind, FieldKind::Code | FieldKind::Text))
                .count();
            let numbers = fields
                .iter()
                .filter(|f| matches!(f.kind, FieldKind::Count { .. } | FieldKind::Money))
                .count();
            assert!(texts <= 1 && numbers <= 1, "{name:?}");
        }
    }
}
