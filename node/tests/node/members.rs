//! The people of rings 1 and 2 on their phones, and the city-operations
//! centres as partners, on three real processes. A member of a Bund
//! guardian team (`member:<id>`) reports a hazard and a community report,
//! answers the verification request pushed to the team, and checks the
//! team in; they may not report as a 110 call, dispatch, or act for
//! another team, and a member of another team may not answer for theirs.
//! The district's city-operations centre receives the hazard report as an
//! EIDO document; another subdistrict's centre does not; neither may read
//! the board or report.

use cordon_api::eido::PartnerFeed;
use cordon_api::hazards::HazardList;
use cordon_api::incidents::{Committed, ReportIncident, Reported};
use cordon_api::roster::CSV_HEADER;
use cordon_node::client::ApiClient;
use serde_json::json;

use crate::support::{refusal, report_of, start_cluster, Cluster};

/// The Bund riverside.
const BUND: (f64, f64) = (31.2420, 121.4868);

/// Two members on duty all day: one in `team`, one in `other`.
async fn load_members(cluster: &Cluster, team: &str, other: &str) {
    let file = format!(
        "{CSV_HEADER}\nbund-wang,Wang Li,volunteer,{team},bund,app:wang.li,first_aid,daily 00:00-24:00,yes\n\
         bund-zhou,Zhou Min,building_head,{other},bund,app:zhou.min,,daily 00:00-24:00,yes\n"
    );
    let _: Committed = cluster
        .client
        .post_csv("/v1/roster", &file, 0)
        .await
        .unwrap();
}

/// The member reports a hazard at the riverside: its id.
async fn report_hazard(member: &ApiClient) -> u64 {
    let reported: Committed = member
        .post(
            "/v1/hazards",
            &json!({"area": "bund-riverside", "lat": BUND.0, "lon": BUND.1,
                    "source": "report", "summary": "a railing on the river wall is loose"}),
            0,
        )
        .await
        .unwrap();
    reported.log_index
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_member_reports_and_verifies_from_the_phone_and_city_ops_receive_what_concerns_them() {
    // Phase 1: two Bund guardian teams, one member on duty in each.
    let cluster = start_cluster().await;
    let teams = cluster
        .unit_ids(|unit| unit.ring == 1 && unit.id.starts_with("bund-"))
        .await;
    let (team, other) = (teams[0].clone(), teams[1].clone());
    load_members(&cluster, &team, &other).await;
    let wang = cluster.client_as("wang-phone", &["member:bund-wang"]).await;
    let zhou = cluster.client_as("zhou-phone", &["member:bund-zhou"]).await;

    // Phase 2: Wang reports a hazard, and a bare community report, which
    // the channel's rule makes a hazard at priority 4.
    let hazard = report_hazard(&wang).await;
    let bare = ReportIncident {
        kind: None,
        priority: None,
        channel: Some("community_report".into()),
        description: Some("smoke from a shop's back door".into()),
        ..report_of("wang-1", "other", BUND, 1)
    };
    let reported: Reported = wang.report(&bare, 0).await.unwrap();
    assert_eq!(
        reported.channel_rule.len(),
        2,
        "{:?}",
        reported.channel_rule
    );
    let incident = cluster
        .wait_incident(&reported.incident_id, "triaged", |incident| {
            incident.status != "reported"
        })
        .await;
    assert_eq!((incident.kind.as_str(), incident.priority), ("hazard", 4));

    // Phase 3: what a member may not do: report as a 110 call, dispatch,
    // push a hazard, or check another team in.
    let call = ReportIncident {
        channel: Some("emergency_call".into()),
        ..report_of("wang-2", "theft", BUND, 3)
    };
    let (code, message) = refusal(wang.report(&call, 0).await);
    assert_eq!(code, "forbidden", "{message}");
    assert!(message.contains("reporter:emergency_call"), "{message}");
    let (code, _) = refusal(
        wang.post::<Committed>(
            &format!("/v1/incidents/{}/assign", reported.incident_id),
            &json!({"unit_id": other}),
            0,
        )
        .await,
    );
    assert_eq!(code, "forbidden");
    let (code, _) = refusal(
        wang.post::<Committed>(
            &format!("/v1/hazards/{hazard}/push"),
            &json!({"unit_id": team}),
            0,
        )
        .await,
    );
    assert_eq!(code, "forbidden");
    let (code, message) = refusal(
        wang.post::<Committed>(&format!("/v1/units/{other}/check-in"), &json!({}), 0)
            .await,
    );
    assert_eq!(code, "forbidden", "{message}");

    // Phase 4: the station pushes the hazard to Wang's team. Zhou, in
    // another team, may not answer; Wang confirms it and checks the team in.
    let room = cluster.client_as("bund-room", &["station:bund"]).await;
    let _: Committed = room
        .post(
            &format!("/v1/hazards/{hazard}/push"),
            &json!({"unit_id": team}),
            0,
        )
        .await
        .unwrap();
    let finding = json!({"confirmed": true, "seen": "two bolts missing, taped off"});
    let (code, message) = refusal(
        zhou.post::<Committed>(&format!("/v1/hazards/{hazard}/verify"), &finding, 0)
            .await,
    );
    assert_eq!(code, "forbidden", "{message}");
    let _: Committed = wang
        .post(&format!("/v1/hazards/{hazard}/verify"), &finding, 0)
        .await
        .unwrap();
    let _: Committed = wang
        .post(&format!("/v1/units/{team}/check-in"), &json!({}), 0)
        .await
        .unwrap();
    let list: HazardList = cluster.client.get("/v1/hazards", 0).await.unwrap();
    let item = list.hazards.iter().find(|h| h.id == hazard).unwrap();
    assert_eq!(item.stage, "confirmed");
    assert!(
        item.trail.iter().any(|step| step.by.contains("wang-phone")),
        "{:?}",
        item.trail
    );

    // Phase 5: the district's city-operations centre receives the hazard
    // report as an EIDO document; Yuyuan's centre does not; neither reads
    // the board nor reports.
    let district_ops = cluster.client_as("city-ops", &["city_ops"]).await;
    let feed: PartnerFeed = district_ops
        .get("/v1/partners/city-ops/incidents", 0)
        .await
        .unwrap();
    assert_eq!(feed.centre, "district");
    let carried = |feed: &PartnerFeed| {
        feed.incidents.iter().any(|eido| {
            eido.incident_component.as_ref().is_some_and(|component| {
                component.internal_incident_id.as_deref() == Some(&reported.incident_id)
            })
        })
    };
    assert!(carried(&feed), "{feed:?}");
    let yuyuan_ops = cluster.client_as("yuyuan-ops", &["city_ops:yuyuan"]).await;
    let feed: PartnerFeed = yuyuan_ops
        .get("/v1/partners/city-ops/incidents", 0)
        .await
        .unwrap();
    assert_eq!(feed.centre, "yuyuan");
    assert!(!carried(&feed), "{feed:?}");
    let (code, _) = refusal(
        district_ops
            .get::<serde_json::Value>("/v1/incidents", 0)
            .await,
    );
    assert_eq!(code, "forbidden");
    let (code, _) = refusal(district_ops.report(&call, 0).await);
    assert_eq!(code, "forbidden");
}
