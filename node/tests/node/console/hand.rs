//! The dispatcher's own hand in the browser: the search box finds an
//! incident by its id and opens it; the report form reports one at a place
//! found by name; its drawer lists the recommended units with their ETAs
//! and sends one with a click; a note goes on the trail. The API shows
//! every change under the logged-in principal.

use cordon_api::incidents::Origin;
use cordon_node::drill_control::DrillControl;

use super::{Browser, Page};
use crate::support::Cluster;

/// The dispatcher of the desk phases (a dispatcher who may also drill).
pub(super) const DISPATCHER: &str = "dispatcher-li";

/// A dispatcher's console on `base` at 1280x720, logged in, its board,
/// drill buttons and named streets drawn.
pub(super) async fn dispatchers_desk(
    browser: &mut Browser,
    cluster: &Cluster<DrillControl>,
    base: &str,
) -> Page {
    let token = cluster
        .processes
        .processes()
        .lock()
        .await
        .issue_token(DISPATCHER, &["dispatcher", "drill"])
        .await
        .unwrap();
    let desk = browser.open(base).await;
    browser.viewport(&desk, 1280, 720, false).await;
    let caller = browser.log_in(&desk, &token).await;
    assert_eq!(caller, format!("{DISPATCHER} (dispatcher, drill)"));
    browser
        .wait_for(
            &desk,
            "the desk's board and drill buttons",
            "\
            document.getElementById('live').dataset.state === 'live' && \
            document.querySelectorAll('#members button.drill').length > 0 && \
            document.querySelectorAll('#incident-list tbody tr').length > 0",
        )
        .await;
    // The desk's map draws the streets and, at this size too, their names.
    let names = browser
        .wait_for(
            &desk,
            "the desk's streets with their names",
            "(names => document.querySelectorAll('#map path.street').length > 50 && names.length >= 5 && names) \
             ([...document.querySelectorAll('#map .street-name')].map(n => n.textContent))",
        )
        .await;
    assert!(
        names
            .as_array()
            .unwrap()
            .iter()
            .any(|name| name == "Henan South Road"),
        "{names}"
    );
    desk
}

/// Types `text` into the input `selector` as a person would (an input event).
fn type_js(selector: &str, text: &str) -> String {
    format!(
        "(i => {{ i.focus(); i.value = {text:?}; i.dispatchEvent(new Event('input', {{ bubbles: true }})); }})\
         (document.querySelector('{selector}'))"
    )
}

/// The search box finds incident `id` by its number and opens its drawer.
pub(super) async fn search_opens_an_incident(browser: &mut Browser, page: &Page, id: &str) {
    let number = id.trim_start_matches("I-").trim_start_matches('0');
    browser.eval(page, &type_js("#search", number)).await;
    browser
        .wait_for(
            page,
            "the incident among the search results",
            &format!(
            "!document.getElementById('search-results').hidden && \
             document.querySelector('#search-results .search-result.active')?.dataset.id === '{id}'"
        ),
        )
        .await;
    browser
        .eval(page, "document.getElementById('search').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))")
        .await;
    browser
        .wait_for(page, "the found incident's drawer", &format!(
            "!document.getElementById('drawer').hidden && document.querySelector('#drawer-body')?.dataset.id === '{id}'"
        ))
        .await;
}

/// Reports a theft from the form at a street found by name; returns its id.
pub(super) async fn report_from_the_form(browser: &mut Browser, page: &Page) -> String {
    browser
        .eval(page, "document.getElementById('report-panel').open = true")
        .await;
    browser
        .eval(page, &type_js("#report-place", "Henan Middle"))
        .await;
    browser
        .wait_for(
            page,
            "the street among the place results",
            "\
            (r => r && r.dataset.kind === 'street' && r.textContent.includes('Henan Middle Road'))\
            (document.querySelector('#report-place-results .search-result.active'))",
        )
        .await;
    browser
        .eval(page, "\
            document.getElementById('report-place').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })); \
            document.getElementById('report-kind').value = 'theft'; \
            document.getElementById('report-description').value = 'a phone snatched outside the metro exit'; \
            document.getElementById('report-submit').click()")
        .await;
    let reported = browser
        .wait_for(
            page,
            "the report committed and its drawer open",
            "\
            (m => m && document.querySelector('#drawer-body')?.dataset.id === m[1] && m[1]) \
            (/Reported (I-\\d+)/.exec(document.getElementById('report-result').textContent))",
        )
        .await;
    reported.as_str().expect("an incident id").to_owned()
}

/// Sends the first recommended unit from `id`'s drawer and adds a note;
/// checks the API shows both under `principal`'s name.
pub(super) async fn assign_and_note_from_the_drawer(
    browser: &mut Browser,
    page: &Page,
    cluster: &Cluster<DrillControl>,
    id: &str,
    principal: &str,
) {
    let before = cluster.wait_assigned(id).await.units;
    let unit = browser
        .wait_for(page, "the recommended units with ETAs", "\
            (row => row && row.querySelector('td:nth-child(3)').textContent.endsWith(' s') && row.dataset.unit) \
            (document.querySelector('#recommended-units tr.recommended-unit'))")
        .await;
    let unit = unit.as_str().expect("a unit id").to_owned();
    assert!(
        !before.contains(&unit),
        "{unit} is offered although already on {id}"
    );
    browser
        .eval(page, &format!("document.querySelector('#recommended-units button.assign[data-unit=\"{unit}\"]').click()"))
        .await;
    browser
        .wait_for(page, "the assignment's answer", "/at log index \\d+/.test(document.getElementById('dispatch-result')?.textContent ?? '')")
        .await;
    browser
        .eval(
            page,
            &type_js("#note-text", "second caller: the thief wore a red cap"),
        )
        .await;
    browser
        .eval(page, "document.getElementById('add-note').click()")
        .await;
    browser
        .wait_for(page, "the note on the drawer's trail", "\
            [...document.querySelectorAll('#timeline tr.timeline-entry[data-step=\"note\"] td.reason')] \
              .some(td => td.textContent === 'second caller: the thief wore a red cap')")
        .await;
    let incident = cluster.incident(id).await;
    assert!(incident.units.contains(&unit), "{incident:#?}");
    let by = |step: &str| {
        incident.timeline.iter().filter(|entry| entry.step == step).any(|entry| {
            matches!(&entry.origin, Origin::Api { principal: who, .. } if who.name == principal)
        })
    };
    assert!(by("assigned") && by("note"), "{incident:#?}");
}
