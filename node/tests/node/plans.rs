//! A major incident's mobilisation plan reaches the API whole (cordon
//! points, each unit's destination, hospitals and safe houses, shortfalls),
//! and its size follows the incident's force level.

use cordon_api::incidents::{Incident, Plan};

use crate::support::{set_status, start_cluster};

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
