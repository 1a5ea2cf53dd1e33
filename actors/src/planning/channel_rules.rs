//! Each intake channel's rule, beside the run cards: the kind a report
//! from the channel takes when it names none, its default priority, and
//! the priority it is never below.
//!
//! The rules follow what each channel is. A 110 call must say what it is
//! (the call-taker classifies it). A community report with no kind is a
//! hazard spotted by the community forces ("spot a hazard, report at
//! once"). A risk warning from the risk-sensing net is about crowds and is
//! never below priority 6, so a forecast crush is not queued behind
//! thefts. A partner's feed is taken as it comes. A safe house's alarm is
//! always top priority. A rule only raises a priority a report gives,
//! never lowers one: nothing a caller reports is downgraded by its
//! channel. The defaults differ: a community report that gives no priority
//! ranks at 4, just below a call's 5 (before these rules every channel's
//! default was 5), since nobody has classified it yet.

use cordon_consensus::ledger::{Channel, SCALE_MAX};

use super::facts::IncidentKind;

/// One channel's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelRule {
    /// The channel.
    pub channel: Channel,
    /// The kind a report takes when it names none; `None`: it must name one.
    pub default_kind: Option<IncidentKind>,
    /// The priority a report takes when it gives none, 0 to 10.
    pub default_priority: u8,
    /// The lowest priority a report from the channel has, 0 to 10: a lower
    /// one is raised to it.
    pub priority_floor: u8,
}

/// What a channel's rule made of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruled {
    /// The kind.
    pub kind: IncidentKind,
    /// The priority.
    pub priority: u8,
    /// What the rule supplied or changed, in words (empty when the report
    /// named its kind and a priority at or above the floor).
    pub applied: Vec<String>,
}

/// A report a channel's rule cannot complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingKind {
    /// The channel.
    pub channel: Channel,
}

impl std::fmt::Display for MissingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "kind is missing: a report on channel {} must name its kind (fix: send kind, e.g. \"theft\")",
            self.channel.as_str()
        )
    }
}

impl std::error::Error for MissingKind {}

impl ChannelRule {
    /// The standard rule of `channel` (see the module docs).
    pub fn of(channel: Channel) -> ChannelRule {
        let (default_kind, default_priority, priority_floor) = match channel {
            Channel::EmergencyCall => (None, 5, 0),
            Channel::CommunityReport => (Some(IncidentKind::Hazard), 4, 0),
            Channel::RiskWarning => (Some(IncidentKind::CrowdCrush), 6, 6),
            Channel::PartnerFeed => (Some(IncidentKind::Other), 5, 0),
            Channel::SafeHouseAlarm => (Some(IncidentKind::Other), SCALE_MAX, SCALE_MAX),
        };
        ChannelRule {
            channel,
            default_kind,
            default_priority,
            priority_floor,
        }
    }

    /// What the hub does with a report from the channel after triage, in
    /// words (`hub.rs` does it).
    pub fn triage(&self) -> &'static str {
        match self.channel {
            Channel::EmergencyCall | Channel::CommunityReport | Channel::PartnerFeed => {
                "the run card's first ring responds"
            }
            Channel::RiskWarning => {
                "the run card's first ring responds, and the area's hazard register opens an item (one open an area)"
            }
            Channel::SafeHouseAlarm => {
                "the nearest ring-2 and ring-3 units are sent at once, beside the run card's first ring"
            }
        }
    }

    /// Every channel's rule, in [`Channel::ALL`]'s order.
    pub fn all() -> Vec<ChannelRule> {
        Channel::ALL.into_iter().map(ChannelRule::of).collect()
    }

    /// The report's kind and priority under this rule.
    pub fn apply(
        &self,
        kind: Option<IncidentKind>,
        priority: Option<u8>,
    ) -> Result<Ruled, MissingKind> {
        let channel = self.channel.as_str();
        let mut applied = Vec::new();
        let kind = match kind {
            Some(kind) => kind,
            None => {
                let kind = self.default_kind.ok_or(MissingKind {
                    channel: self.channel,
                })?;
                applied.push(format!("kind {kind}: the default of channel {channel}"));
                kind
            }
        };
        let priority = match priority {
            Some(priority) if priority < self.priority_floor => {
                applied.push(format!(
                    "priority {priority} raised to {}: the floor of channel {channel}",
                    self.priority_floor
                ));
                self.priority_floor
            }
            Some(priority) => priority,
            None => {
                applied.push(format!(
                    "priority {}: the default of channel {channel}",
                    self.default_priority
                ));
                self.default_priority
            }
        };
        Ok(Ruled {
            kind,
            priority,
            applied,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every channel has a rule whose default is at or above its floor, and
    // only the 110 call must name its kind.
    #[test]
    fn every_channel_has_a_consistent_rule() {
        let rules = ChannelRule::all();
        assert_eq!(rules.len(), Channel::ALL.len());
        for rule in rules {
            assert!(rule.default_priority >= rule.priority_floor, "{rule:?}");
            assert!(rule.default_priority <= SCALE_MAX, "{rule:?}");
            assert_eq!(
                rule.default_kind.is_none(),
                rule.channel == Channel::EmergencyCall,
                "{rule:?}"
            );
        }
    }

    // A community report with nothing named is a hazard at priority 4.
    #[test]
    fn a_bare_community_report_is_a_hazard() {
        let ruled = ChannelRule::of(Channel::CommunityReport)
            .apply(None, None)
            .unwrap();
        assert_eq!((ruled.kind, ruled.priority), (IncidentKind::Hazard, 4));
        assert_eq!(ruled.applied.len(), 2, "{:?}", ruled.applied);
    }

    // A risk warning's low priority is raised to its floor, and said so; a
    // higher one is kept.
    #[test]
    fn a_risk_warning_is_never_below_its_floor() {
        let rule = ChannelRule::of(Channel::RiskWarning);
        let raised = rule.apply(Some(IncidentKind::CrowdCrush), Some(2)).unwrap();
        assert_eq!(raised.priority, 6);
        assert!(raised.applied[0].contains("raised to 6"), "{raised:?}");
        let kept = rule.apply(Some(IncidentKind::CrowdCrush), Some(9)).unwrap();
        assert_eq!((kept.priority, kept.applied.len()), (9, 0));
    }

    // A safe house's alarm is always top priority.
    #[test]
    fn a_safe_house_alarm_is_top_priority() {
        let ruled = ChannelRule::of(Channel::SafeHouseAlarm)
            .apply(Some(IncidentKind::Medical), Some(3))
            .unwrap();
        assert_eq!(ruled.priority, SCALE_MAX);
    }

    // A 110 call that names no kind is refused, naming the field and the fix.
    #[test]
    fn a_call_must_name_its_kind() {
        let refused = ChannelRule::of(Channel::EmergencyCall)
            .apply(None, Some(5))
            .unwrap_err();
        assert!(refused.to_string().contains("kind is missing"), "{refused}");
        assert!(refused.to_string().contains("emergency_call"), "{refused}");
    }
}
