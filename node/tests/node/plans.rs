//! A major incident's mobilisation plan reaches the API whole (cordon
//! points, each unit's destination, hospitals and safe houses, shortfalls),
//! and its size follows the incident's force level; a commander may amend
//! it before approving it, and a station's command room approves its own
//! station's plans only (the plan names the level that approved it). An
//! approved plan sends its free units and proposes nothing for a busy one.

use std::time::Duration;

use cordon_api::incidents::{AmendPlan, Committed, Incident, IncidentList, Plan};

use crate::support::{applied_ids, read_stream, set_status, start_cluster, start_cluster_with};

/// The incident's plan, which must be there.
fn plan(incident: &Incident) -> &Plan {
    incident.plan.as_ref().expect("a plan")
}

/// How many lines of `plan` are of `ring` in `role`.
fn count(plan: &Plan, ring: u8, role: &str) -> usize {
    plan.lines
        .iter()
        .filter(|line| line.ring == ring && line.role == role)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_major_plan_is_whole_in_the_api_and_sized_by_force_level() {
    // Phase 1: an extreme act at force 3 on the pedestrian street gets the
    // run card's plan: 3 ring-4 teams and one patrol group per cordon point;
    // cordon units stand on the cordon points; 2 hospitals and 2 safe houses.
    let cluster = start_cluster().await;
    let low_id = cluster
        .report("plan-force-3", "extreme_act", 31.2394, 121.4760, 3)
        .await;
    let low = cluster.wait_plan(&low_id).await;
    let low_plan = plan(&low);
    let points = low_plan.cordon_points.len();
    assert!(points >= 3, "{low_plan:#?}");
    assert_eq!(low_plan.lines.len(), 3 + points, "{low_plan:#?}");
    assert!(low_plan
        .lines
        .iter()
        .filter(|line| line.role == "cordon")
        .all(|line| low_plan.cordon_points.contains(&line.destination)));
    let kinds: Vec<&str> = low_plan
        .facilities
        .iter()
        .map(|f| f.kind.as_str())
        .collect();
    assert_eq!(kinds, ["hospital", "hospital", "safe_house", "safe_house"]);
    assert_eq!((low_plan.units_short, low_plan.shortfalls.len()), (0, 0));

    // Phase 2: the same kind at force 10 elsewhere asks for more: 5 ring-4
    // teams, two patrol groups and one ring-2 unit on each cordon point.
    let high_id = cluster
        .report("plan-force-10", "extreme_act", 31.2250, 121.4800, 10)
        .await;
    let high = cluster.wait_plan(&high_id).await;
    let high_plan = plan(&high);
    let points = high_plan.cordon_points.len();
    assert_eq!(count(high_plan, 4, "first_response"), 5, "{high_plan:#?}");
    assert_eq!(count(high_plan, 3, "cordon"), 2 * points, "{high_plan:#?}");
    assert_eq!(count(high_plan, 2, "cordon"), points, "{high_plan:#?}");
    assert!(high_plan.lines.len() > low_plan.lines.len());
    assert_eq!(high_plan.units_short, 0, "{high_plan:#?}");

    // Phase 3: with every ring-4 team out of service, a force-10 extreme act
    // still gets its cordon, and the plan says it is short of the 5 teams.
    let ring_four = cluster.unit_ids(|unit| unit.ring == 4).await;
    set_status(&cluster.client, &ring_four, "out_of_service").await;
    let short_id = cluster
        .report("plan-short", "extreme_act", 31.2330, 121.4750, 10)
        .await;
    let short = cluster.wait_plan(&short_id).await;
    let short_plan = plan(&short);
    assert_eq!(short_plan.units_short, 5, "{short_plan:#?}");
    assert_eq!(short_plan.shortfalls.len(), 1, "{short_plan:#?}");
    let shortfall = &short_plan.shortfalls[0];
    assert_eq!(
        (shortfall.ring, shortfall.role.as_str()),
        (4, "first_response")
    );
    assert_eq!(count(short_plan, 4, "first_response"), 0);
    assert!(!short_plan.cordon_points.is_empty() && count(short_plan, 3, "cordon") > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_commander_amends_a_plan_and_its_approval_sends_what_they_chose() {
    // Phase 1: a major incident's plan waits for a commander (no automatic
    // approval during the test).
    let cluster = start_cluster_with(|file| file.actors.plan_auto_approve_ms = 120_000).await;
    let id = cluster
        .report("plan-amend", "extreme_act", 31.2394, 121.4760, 3)
        .await;
    let planned = cluster.wait_plan(&id).await;
    let dropped = plan(&planned).lines[0].unit_id.clone();
    let named: Vec<String> = plan(&planned)
        .lines
        .iter()
        .map(|line| line.unit_id.clone())
        .collect();
    let spare = cluster
        .unit_ids(|unit| unit.ring == 4 && unit.status == "available" && !named.contains(&unit.id))
        .await;
    let added = spare
        .first()
        .expect("a ring-4 team the plan left out")
        .clone();

    // Phase 2: a viewer may not amend; the commander drops one unit and adds
    // another; the plan and the trail say so.
    let viewer = cluster.client_as("viewer-wu", &["viewer"]).await;
    let path = format!("/v1/plans/{id}/amend");
    let change = AmendPlan {
        request_id: None,
        drop: vec![dropped.clone()],
        add: vec![added.clone()],
    };
    let refused = viewer
        .post::<Committed>(&path, &change, 0)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("forbidden"), "{refused}");
    let _: Committed = cluster.client.post(&path, &change, 0).await.unwrap();
    let amended = cluster.incident(&id).await;
    let lines: Vec<&str> = plan(&amended)
        .lines
        .iter()
        .map(|line| line.unit_id.as_str())
        .collect();
    assert!(
        !lines.contains(&dropped.as_str()) && lines.contains(&added.as_str()),
        "{lines:?}"
    );
    let step = amended
        .timeline
        .iter()
        .find(|entry| entry.step == "plan_amended")
        .expect("on the trail");
    assert!(
        step.reason
            .contains(&format!("dropped {dropped}; added {added}")),
        "{}",
        step.reason
    );

    // Phase 3: another station's command room may not approve it, told
    // who may; the owning station's room approves, and the plan names that
    // level of command.
    let owner = planned
        .station
        .clone()
        .expect("a station owns the incident");
    let other = if owner == "bund" {
        "nanjing-east"
    } else {
        "bund"
    };
    let room = |station: &str| {
        let (name, role) = (format!("room-{station}"), format!("station:{station}"));
        let cluster = &cluster;
        async move { cluster.client_as(&name, &[role.as_str()]).await }
    };
    let approve = format!("/v1/plans/{id}/approve");
    let refused = room(other)
        .await
        .post::<Committed>(&approve, &serde_json::json!({}), 0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("forbidden") && refused.contains(&format!("station:{owner}")),
        "{refused}"
    );
    let _: Committed = room(&owner)
        .await
        .post(&approve, &serde_json::json!({}), 0)
        .await
        .unwrap();
    let level = plan(&cluster.incident(&id).await).approved_level.clone();
    assert_eq!(level, Some(format!("station:{owner}")));

    // Phase 4: approved, the hub sends the added unit and not the dropped one.
    let sent = cluster
        .wait_incident(&id, "with the added unit assigned", |incident| {
            incident.units.contains(&added)
        })
        .await;
    assert!(!sent.units.contains(&dropped), "{:?}", sent.units);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_plan_sends_its_free_units_and_asks_nothing_of_a_busy_one() {
    // Phase 1: a major incident's plan waits for a commander; one of its
    // units then goes out of service.
    let cluster = start_cluster_with(|file| file.actors.plan_auto_approve_ms = 120_000).await;
    let id = cluster
        .report("plan-busy", "extreme_act", 31.2394, 121.4760, 3)
        .await;
    let planned = cluster.wait_plan(&id).await;
    let lines = plan(&planned).lines.len();
    let busy = plan(&planned).lines[0].unit_id.clone();
    set_status(
        &cluster.client,
        std::slice::from_ref(&busy),
        "out_of_service",
    )
    .await;

    // Phase 2: approved, the hub sends the plan's other units.
    let approve = format!("/v1/plans/{id}/approve");
    let approved: Committed = cluster
        .client
        .post(&approve, &serde_json::json!({}), 0)
        .await
        .unwrap();
    let sent = cluster
        .wait_incident(&id, "with the plan's free units assigned", |incident| {
            incident.units.len() >= lines - 1
        })
        .await;
    assert!(!sent.units.contains(&busy), "{:?}", sent.units);

    // Phase 3: from the approval on, no assignment of the busy unit was
    // proposed: a busy line costs no commit, not even a rejected one.
    let applied = cluster
        .client
        .get::<IncidentList>("/v1/incidents", 0)
        .await
        .unwrap()
        .applied_index
        .unwrap();
    let response = cluster
        .events_after(0, &approved.log_index.to_string())
        .await;
    let text = read_stream(response, Duration::from_secs(10), |text| {
        applied_ids(text).last().is_some_and(|id| *id >= applied)
    })
    .await;
    assert!(
        applied_ids(&text).last().is_some_and(|id| *id >= applied),
        "{text}"
    );
    let asked_busy: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("\"assign_unit\"") && line.contains(&format!("unit {busy} ")))
        .collect();
    assert!(asked_busy.is_empty(), "{asked_busy:#?}");
}
