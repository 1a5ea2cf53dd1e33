//! [`run_drill`]: one drill as short named phases. Up (the cluster started
//! or attached, a leader, every actor placed), load (clients and the
//! observer), inject (aim, fault, a new leader where one is due), hold,
//! heal (and liveness after it), finish the load (quiet period, every
//! unanswered request driven to an answer), read back from every node, and
//! report (every checker, recovery times, latency by phase).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::api::{Api, Placed};
use super::checks::{self, Evidence, NodeReads};
use super::cluster::{
    attach_cluster, final_reads, issue_drill_token, liveness_after_heal, start_cluster,
    station_points, unix_ms, wait_actors_settled, Run,
};
use super::faults::kill::note_station_incidents;
use super::faults::{self, FaultState, Target};
use super::load::{Load, AFTER, BEFORE, DURING};
use super::observer::{Background, Observer};
use super::options::{profile_load, setup, DrillError, DrillOptions};
use super::report::{ms, DrillReport, Recovery, TimelineEntry};
use super::{DrillName, FIRST_LEADER_WITHIN, LIVENESS_WITHIN, RECOVERY_WITHIN};
use crate::judge::checkers::{acked_incidents, request_outcomes, RecoveryTimes};
use crate::judge::verdict::OpTally;

/// Runs drill `drill`; an error means it could not get to its checks.
pub async fn run_drill(
    drill: DrillName,
    options: &DrillOptions,
) -> Result<DrillReport, DrillError> {
    let started = Instant::now();
    let options = &options.for_drill(drill);
    let (mut drilling, stations) = Drilling::up(drill, options).await?;
    drilling.plant().await?;
    let loaded = drilling.start_load(&stations)?;
    tokio::time::sleep(options.before).await;
    let mut fault = drilling.inject(&loaded, &stations).await?;
    drilling.hold(&loaded, &mut fault).await;
    let healed = drilling.heal(&loaded, &mut fault).await?;
    let read = drilling.finish_and_read(loaded, &healed, &mut fault).await;
    let mut report = drilling.report(read, fault, &healed)?;
    if (options.keep || !report.passed()) && drilling.run.control.owns_files() {
        let dir = std::mem::replace(&mut drilling.run.dir, tempfile::tempdir().map_err(setup)?);
        report.kept = Some(dir.keep());
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// A drill between its phases: its cluster and what every phase reads.
struct Drilling<'a> {
    drill: DrillName,
    options: &'a DrillOptions,
    run: Run,
    /// The initial voters: the load, the leader probes and the final reads
    /// go to them only.
    api: Api,
    /// Every node, extra ones (outside the initial voters) included.
    api_all: Api,
    /// The lab's subnet, or the operator's cluster file.
    cluster_name: String,
    /// The leader and its term when the load starts.
    leader: u64,
    term: u64,
    /// Every actor's placement when the load starts.
    placed: Vec<Placed>,
}

/// The load in flight and the observer watching the cluster.
struct Loaded {
    load: Arc<Load>,
    observer: Arc<Observer>,
    observing: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
    /// Aborts the tasks above if the drill returns early.
    _background: Background,
    /// Reports in the whole load.
    requests: u64,
}

/// The fault in force: what it did, and when it started.
struct Injected {
    state: FaultState,
    /// Milliseconds since the load started, and since the Unix epoch.
    at_ms: u64,
    at_unix_ms: u64,
}

/// The heal: when, and how soon the cluster was live again.
struct Healed {
    at: Instant,
    recovery: RecoveryTimes,
}

/// What the load and the final reads left to judge.
struct ReadBack {
    load: Arc<Load>,
    observer: Arc<Observer>,
    requests: u64,
    unanswered: usize,
    leader_after: Option<u64>,
    reads: BTreeMap<String, NodeReads>,
}

impl<'a> Drilling<'a> {
    /// Up: the cluster started in a fresh lab (or the operator's
    /// attached), a leader elected and every actor placed; the stations'
    /// positions for the load.
    async fn up(
        drill: DrillName,
        options: &'a DrillOptions,
    ) -> Result<(Drilling<'a>, BTreeMap<String, (f64, f64)>), DrillError> {
        let (mut run, api_all, swept, cluster_name) = match &options.operator {
            Some(operator) => {
                operator.allows(drill).map_err(DrillError::Refused)?;
                let (run, api) = attach_cluster(operator)?;
                (
                    run,
                    api,
                    Vec::new(),
                    operator.cluster_file.display().to_string(),
                )
            }
            None => {
                let nodes = drill.nodes(options.nodes);
                let (run, api, swept) = start_cluster(options, nodes, drill.extra_nodes())?;
                let name = format!("10.77.{}.0/24", run.control.lab()?.run());
                (run, api, swept, name)
            }
        };
        let token = issue_drill_token(&run, options, FIRST_LEADER_WITHIN).await?;
        let api_all = api_all.with_token(&token).map_err(setup)?;
        let api = api_all.first(api_all.urls.len() - drill.extra_nodes());
        for line in swept {
            run.note(format!("swept a lab left by a killed drill: {line}"));
        }
        let (leader, term, placed) = settle(&mut run, &api).await?;
        let stations = station_points(&api).await?;
        // The leader may have changed while the actors were being placed.
        let (leader, term) = api.settled_leader(None).await.unwrap_or((leader, term));
        run.start = Instant::now();
        run.note(format!(
            "cluster up: leader node {leader} term {term}, {} actors placed",
            placed.len()
        ));
        let drilling = Drilling {
            drill,
            options,
            run,
            api,
            api_all,
            cluster_name,
            leader,
            term,
            placed,
        };
        Ok((drilling, stations))
    }

    /// Plants the options' dispatch bug, if any, in every node's actors.
    async fn plant(&mut self) -> Result<(), DrillError> {
        let Some(bug) = self.options.planted else {
            return Ok(());
        };
        for node in 1..=self.api_all.urls.len() {
            self.api_all.plant(node, bug).await.map_err(setup)?;
        }
        self.run
            .note(format!("planted {bug:?} in every node's actors"));
        Ok(())
    }

    /// Load: the observer and every client started, the reports planned
    /// to cover the whole drill.
    fn start_load(
        &mut self,
        stations: &BTreeMap<String, (f64, f64)>,
    ) -> Result<Loaded, DrillError> {
        let observer = Observer::new(self.api.clone(), self.run.start, self.leader, self.term);
        let observing = tokio::spawn(observer.clone().run());
        let options = self.options;
        let clients = options.clients.max(1);
        let per_client = options.incidents.div_ceil(clients).max(1);
        let nodes = self.api.urls.len();
        let pause = options
            .planned(self.drill.sequence_estimate(nodes))
            .mul_f64(clients as f64 / (clients * per_client) as f64);
        let load = Load::new(
            self.api.clone(),
            self.run.start,
            format!("l3-{}-{}", self.drill.as_str(), std::process::id()),
            (clients, per_client, pause),
            stations.values().copied().collect(),
            profile_load(options)?,
        );
        if let Some(profile) = options.profile {
            self.run.note(format!(
                "load: reports drawn from the {profile} profile, seed {}",
                options.seed
            ));
        }
        let workers: Vec<_> = (0..clients)
            .map(|client| tokio::spawn(load.clone().run_client(client)))
            .collect();
        let background = workers
            .iter()
            .map(|worker| worker.abort_handle())
            .chain([observing.abort_handle()])
            .collect();
        Ok(Loaded {
            load,
            observer,
            observing,
            workers,
            _background: Background(background),
            requests: clients * per_client,
        })
    }

    /// Inject: the fault aimed and injected (its sequence run), then a new
    /// leader awaited where the fault ends the leader's term.
    async fn inject(
        &mut self,
        loaded: &Loaded,
        stations: &BTreeMap<String, (f64, f64)>,
    ) -> Result<Injected, DrillError> {
        loaded.load.phase.store(DURING, Ordering::Relaxed);
        let fault_at = Instant::now();
        let at_unix_ms = unix_ms();
        let at_ms = self.run.start.elapsed().as_millis() as u64;
        let mut state = self.fault_state(loaded);
        faults::aim(
            self.drill,
            &mut state,
            &self.placed,
            stations,
            &loaded.load,
            fault_at,
        )?;
        let target = Target {
            api: &self.api,
            api_all: &self.api_all,
            options: self.options,
        };
        faults::inject(self.drill, &mut self.run, &target, &mut state, fault_at).await?;
        if state.expect_new_leader {
            self.await_new_leader(&mut state, fault_at).await;
        }
        Ok(Injected {
            state,
            at_ms,
            at_unix_ms,
        })
    }

    /// What the fault starts from: the leader, a follower, the nodes that
    /// host actors.
    fn fault_state(&self, loaded: &Loaded) -> FaultState {
        let nodes = self.api.urls.len();
        let leader = self.leader as usize;
        FaultState {
            nodes,
            leader,
            term: self.term,
            follower: (1..=nodes).find(|n| *n != leader).unwrap_or(1),
            faulted: Vec::new(),
            expect_new_leader: matches!(
                self.drill,
                DrillName::KillLeader | DrillName::IsolateLeader | DrillName::PauseLeader
            ),
            new_leader_ms: None,
            stations: Vec::new(),
            problems: Vec::new(),
            observer: loaded.observer.clone(),
            hosts: self.placed.iter().map(|placement| placement.node).collect(),
        }
    }

    /// A leader of a later term within [`RECOVERY_WITHIN`] of the fault,
    /// or a problem.
    async fn await_new_leader(&mut self, state: &mut FaultState, fault_at: Instant) {
        match self
            .api
            .wait_leader(Some(state.term), RECOVERY_WITHIN)
            .await
        {
            Some((new_leader, new_term)) => {
                state.new_leader_ms = Some(fault_at.elapsed().as_millis() as u64);
                self.run
                    .note(format!("new leader node {new_leader} term {new_term}"));
            }
            None => state.problems.push(format!(
                "no new leader within {RECOVERY_WITHIN:?} of the fault"
            )),
        }
    }

    /// Hold: the fault kept in force; a bridge must still have a leader a
    /// majority follows at its end.
    async fn hold(&mut self, loaded: &Loaded, fault: &mut Injected) {
        tokio::time::sleep(self.options.hold).await;
        if self.drill == DrillName::Bridge {
            match self.api.wait_leader(None, RECOVERY_WITHIN).await {
                Some((node, term)) => self.run.note(format!(
                    "at the end of the hold: leader node {node} term {term} followed by a majority across the bridge"
                )),
                None => fault.state.problems.push(format!(
                    "no leader followed by a majority within {RECOVERY_WITHIN:?} at the end of the bridge's hold"
                )),
            }
        }
        let acked_during = loaded.load.latency(DURING).count;
        self.run.note(format!(
            "{acked_during} reports started since the fault were acknowledged while it held"
        ));
        if let Ok(mut focus) = loaded.load.focus.lock() {
            *focus = None;
        }
    }

    /// Heal: the fault undone, then liveness after heal timed.
    async fn heal(&mut self, loaded: &Loaded, fault: &mut Injected) -> Result<Healed, DrillError> {
        faults::heal(self.drill, &mut self.run, &self.api, &mut fault.state).await?;
        loaded.load.phase.store(AFTER, Ordering::Relaxed);
        let at = Instant::now();
        let recovery = liveness_after_heal(&self.api, &loaded.load, at, self.placed.len()).await;
        let millis = |time: Option<Duration>| time.map(|d| d.as_millis() as u64);
        self.run.note(format!(
            "after heal: leader {} ms, fresh write {} ms, every actor placed {} ms",
            ms(millis(recovery.leader_elected)),
            ms(millis(recovery.fresh_write_committed)),
            ms(millis(recovery.actors_placed)),
        ));
        Ok(Healed { at, recovery })
    }

    /// Finish the load and read back: the clients done, a quiet period,
    /// every unanswered request retried; then incidents and units from
    /// every node, and the observer stopped.
    async fn finish_and_read(
        &mut self,
        loaded: Loaded,
        healed: &Healed,
        fault: &mut Injected,
    ) -> ReadBack {
        tokio::time::sleep_until((healed.at + self.options.after).into()).await;
        for worker in loaded.workers {
            if let Err(error) = worker.await {
                fault
                    .state
                    .problems
                    .push(format!("a client task failed: {error}"));
            }
        }
        self.run.note("load done");
        tokio::time::sleep(self.options.quiet).await;
        let unanswered = loaded.load.retry_unanswered().await;
        self.run.note(format!(
            "quiet period over; {unanswered} requests unanswered"
        ));
        // Every node must be back and caught up: read back from each.
        let leader_after = self
            .api
            .wait_leader(None, Duration::from_secs(10))
            .await
            .map(|(node, _)| node);
        let reads = final_reads(&self.api, &mut fault.state.problems).await;
        self.run.note(format!(
            "final reads from {} nodes ({} ms after heal)",
            reads.len(),
            healed.at.elapsed().as_millis()
        ));
        loaded.observer.stop();
        let _ = loaded.observing.await;
        ReadBack {
            load: loaded.load,
            observer: loaded.observer,
            requests: loaded.requests,
            unanswered,
            leader_after,
            reads,
        }
    }

    /// Report: every checker over the history and the reads, recovery
    /// times, the observer's leader changes, latency by phase.
    fn report(
        &mut self,
        read: ReadBack,
        mut fault: Injected,
        healed: &Healed,
    ) -> Result<DrillReport, DrillError> {
        let records = read.load.history.records().map_err(setup)?;
        let logs = self.run.control.logs();
        let (checks, lost, duplicates) = checks::judge(&Evidence {
            records: &records,
            reads: &read.reads,
            logs: self.run.control.owns_files().then_some(logs.as_slice()),
            recovery: healed.recovery,
            liveness_within: LIVENESS_WITHIN,
        });
        let double_assigned = checks
            .iter()
            .find(|check| check.check == "unit-assigned-once")
            .map_or(0, |check| check.violation_count);
        let acknowledged = acked_incidents(&request_outcomes(&records)).len();
        if acknowledged == 0 {
            fault
                .state
                .problems
                .push("no report was acknowledged".into());
        }
        let recovery = self.recovery(&read, &mut fault, healed);
        let leader_changes = note_leader_changes(&mut self.run, &read.observer);
        if self.drill == DrillName::RollingRestart && leader_changes == 0 {
            fault
                .state
                .problems
                .push("rolling restart: the leader never changed".into());
        }
        let load = &read.load;
        Ok(DrillReport {
            drill: self.drill,
            nodes: self.api.urls.len(),
            cluster: self.cluster_name.clone(),
            timeline: std::mem::take(&mut self.run.timeline),
            leader_before: self.leader,
            leader_after: read.leader_after,
            leader_changes,
            faulted: fault.state.faulted.clone(),
            recovery,
            longest_ack_gap_ms: load.longest_ack_gap_ms(fault.at_ms),
            requests: read.requests,
            ops: OpTally::of(&records).into(),
            acknowledged,
            unanswered: read.unanswered,
            cancelled: load.cancelled.load(Ordering::Relaxed),
            lost,
            duplicates,
            double_assigned,
            nodes_read: read.reads.len(),
            checks,
            problems: std::mem::take(&mut fault.state.problems),
            latency_before: load.latency(BEFORE),
            latency_during: load.latency(DURING),
            latency_after: load.latency(AFTER),
            elapsed_ms: 0,
            kept: None,
        })
    }

    /// Recovery times: from the fault (new leader, actors re-placed, first
    /// assignment) and from the heal; kill-station-server's incidents
    /// noted.
    fn recovery(&mut self, read: &ReadBack, fault: &mut Injected, healed: &Healed) -> Recovery {
        let incidents = read
            .reads
            .values()
            .max_by_key(|node| node.incidents.len())
            .map(|node| node.incidents.as_slice())
            .unwrap_or_default();
        let first_assignment_ms =
            first_assignment_ms(self.drill, incidents, &read.load, fault.at_unix_ms);
        if self.drill == DrillName::KillStationServer {
            note_station_incidents(&mut self.run, &read.load, incidents, &fault.state);
        }
        let actors_replaced_ms = note_actors_replaced(
            &mut self.run,
            &mut fault.state,
            &read.observer,
            self.drill,
            fault.at_ms,
        );
        let millis = |time: Option<Duration>| time.map(|d| d.as_millis() as u64);
        Recovery {
            new_leader_ms: fault.state.new_leader_ms,
            actors_replaced_ms,
            first_assignment_ms,
            heal_leader_ms: millis(healed.recovery.leader_elected),
            heal_fresh_write_ms: millis(healed.recovery.fresh_write_committed),
            heal_actors_placed_ms: millis(healed.recovery.actors_placed),
        }
    }
}

/// A leader within [`FIRST_LEADER_WITHIN`] of the start, then every actor
/// placed and running; on no leader the node logs are kept for the reader.
async fn settle(run: &mut Run, api: &Api) -> Result<(u64, u64, Vec<Placed>), DrillError> {
    let Some((leader, term)) = api.wait_leader(None, FIRST_LEADER_WITHIN).await else {
        let kept = std::mem::replace(&mut run.dir, tempfile::tempdir().map_err(setup)?).keep();
        return Err(setup(format!(
            "no leader within {FIRST_LEADER_WITHIN:?}: see the node logs in {}",
            kept.display()
        )));
    };
    let Some(placed) = wait_actors_settled(api, FIRST_LEADER_WITHIN).await else {
        return Err(setup(format!(
            "the actors were not all placed and running within {FIRST_LEADER_WITHIN:?} of the start"
        )));
    };
    Ok((leader, term, placed))
}

/// The first assignment after the fault, ms after it: kill-station-server
/// counts only incidents in the killed node's stations' areas.
fn first_assignment_ms(
    drill: DrillName,
    incidents: &[cordon_api::incidents::Incident],
    load: &Load,
    fault_unix_ms: u64,
) -> Option<u64> {
    let focused: BTreeSet<String> = load
        .focused
        .lock()
        .map(|ids| ids.iter().cloned().collect())
        .unwrap_or_default();
    let measured: Vec<&cordon_api::incidents::Incident> = incidents
        .iter()
        .filter(|incident| drill != DrillName::KillStationServer || focused.contains(&incident.id))
        .collect();
    checks::first_assignment_since(&measured, fault_unix_ms)
        .map(|at| at.saturating_sub(fault_unix_ms))
}

/// The faulted nodes' actors, as the observer saw them move, into the
/// timeline (it keeps looking after the heal: a restarted node gets its
/// actors back only after the hysteresis, so a late move still counts).
/// kill-station-server fails if they never moved.
fn note_actors_replaced(
    run: &mut Run,
    state: &mut FaultState,
    observer: &Observer,
    drill: DrillName,
    fault_ms: u64,
) -> Option<u64> {
    let replaced_ms = observer.replaced_ms();
    let watched = observer.watched();
    match replaced_ms {
        Some(ms) => run.timeline.push(TimelineEntry {
            at_ms: fault_ms + ms,
            event: format!(
                "every actor of node(s) {:?} placed on other nodes ({ms} ms after the fault)",
                state.faulted
            ),
        }),
        None if watched && drill == DrillName::KillStationServer => state.problems.push(format!(
            "the actors of node {:?} were never placed elsewhere",
            state.faulted
        )),
        None if watched => run.note(format!(
            "the actors of node(s) {:?} were not seen placed elsewhere before they came back",
            state.faulted
        )),
        None => {}
    }
    replaced_ms
}

/// Leader changes, as the observer saw them, into the timeline (sorted);
/// how many there were after the first leader.
fn note_leader_changes(run: &mut Run, observer: &Observer) -> usize {
    let leaders = observer.leaders();
    for (at_ms, node, term) in leaders.iter().skip(1) {
        run.timeline.push(TimelineEntry {
            at_ms: *at_ms,
            event: format!("observed: leader node {node} term {term}"),
        });
    }
    run.timeline.sort_by_key(|entry| entry.at_ms);
    leaders.len().saturating_sub(1)
}
