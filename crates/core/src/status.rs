//! Order statuses and fulfilment channels, normalised once (SPEC §1.1, §5.2).

/// The normalised order status of the `orders` view.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    Pending,
    Unshipped,
    PartiallyShipped,
    Shipping,
    Shipped,
    Cancelled,
    /// Any other value, kept as given; neither shipped nor cancelled.
    Other(Box<str>),
}

impl Status {
    pub fn parse(value: &str) -> Status {
        let v = value.trim_matches(' ');
        let is = |name: &str| v.eq_ignore_ascii_case(name);
        if is("pending") || is("pendingavailability") {
            Status::Pending
        } else if is("unshipped") {
            Status::Unshipped
        } else if is("partiallyshipped") {
            Status::PartiallyShipped
        } else if is("shipping") {
            Status::Shipping
        } else if is("cancelled") || is("canceled") {
            Status::Cancelled
        } else if is("invoiceunconfirmed") || v.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("shipped")) {
            Status::Shipped
        } else {
            Status::Other(v.into())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Status::Pending => "Pending",
            Status::Unshipped => "Unshipped",
            Status::PartiallyShipped => "PartiallyShipped",
            Status::Shipping => "Shipping",
            Status::Shipped => "Shipped",
            Status::Cancelled => "Cancelled",
            Status::Other(s) => s,
        }
    }

    /// Shipped for the metrics (§2 item 6).
    pub fn is_shipped(&self) -> bool {
        matches!(self, Status::Shipped | Status::PartiallyShipped | Status::Shipping)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Afn,
    Mfn,
}

impl Channel {
    /// `Merchant`/`MFN` or `Amazon`/`AFN`, any case; anything else is "not given".
    pub fn parse(value: &str) -> Option<Channel> {
        let v = value.trim_matches(' ');
        if v.eq_ignore_ascii_case("merchant") || v.eq_ignore_ascii_case("mfn") {
            Some(Channel::Mfn)
        } else if v.eq_ignore_ascii_case("amazon") || v.eq_ignore_ascii_case("afn") {
            Some(Channel::Afn)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Afn => "AFN",
            Channel::Mfn => "MFN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_normalise() {
        assert_eq!(Status::parse("Shipped - Delivered to Buyer"), Status::Shipped);
        assert_eq!(Status::parse("Canceled"), Status::Cancelled);
        assert_eq!(Status::parse("PendingAvailability"), Status::Pending);
        assert_eq!(Status::parse("InvoiceUnconfirmed"), Status::Shipped);
        assert_eq!(Status::parse("Unfulfillable").as_str(), "Unfulfillable");
        assert!(!Status::parse("Unfulfillable").is_shipped());
        assert_eq!(Channel::parse("Merchant"), Some(Channel::Mfn));
        assert_eq!(Channel::parse("AFN"), Some(Channel::Afn));
        assert_eq!(Channel::parse(""), None);
    }
}
