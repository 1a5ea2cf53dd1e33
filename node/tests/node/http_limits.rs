//! A node stays up under abuse of its HTTP API: half-sent requests are
//! closed by the header and body deadlines, connections over the cap are
//! refused, a cross-site or DNS-rebinding request is refused before it
//! changes anything, event streams are capped, and an open event stream
//! does not hold a stopping node up. Every client here speaks raw TCP, so
//! it sends exactly the bytes (and the `Host`) an attacker would.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cordon_node::local_cluster::{signal, Signal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{start_cluster, start_cluster_with, Cluster};

/// How long a test waits for one raw answer.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// The API address of node `id`.
fn api_addr(cluster: &Cluster, id: usize) -> SocketAddr {
    cluster.processes.cluster.nodes()[id - 1].api_addr
}

/// Connects to `addr` from the loopback address `from`.
async fn connect_from(from: [u8; 4], addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Everything the node sends until it closes the connection, or `None` if
/// it is still open after `wait`.
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut answer = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

/// Sends `request` on a new connection and reads the whole answer.
async fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    read_until_closed(&mut stream, ANSWER_WAIT)
        .await
        .expect("the node answers and closes")
}

/// Opens an event stream from `from`; returns the connection and the answer's head.
async fn open_event_stream(from: [u8; 4], addr: SocketAddr, token: &str) -> (TcpStream, String) {
    let mut stream = connect_from(from, addr).await;
    let request =
        format!("GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(ANSWER_WAIT, stream.read(&mut byte))
            .await
            .expect("the event stream's head arrives")
            .unwrap();
        assert_ne!(
            read,
            0,
            "closed before the head: {}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    (stream, String::from_utf8_lossy(&head).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_and_connections_over_the_cap_refused() {
    // Phase 1: three nodes whose API allows 320 connections, two seconds
    // for a request head or body (time enough to open them all) and one
    // second of idle keep-alive.
    let cluster = start_cluster_with(|file| {
        file.limits.api_header_read_timeout_ms = 2_000;
        file.limits.api_body_read_timeout_ms = 2_000;
        file.limits.api_connections_max = 320;
        file.limits.api_idle_timeout_ms = 1_000;
    })
    .await;
    let addr = api_addr(&cluster, 1);

    // Phase 2: 340 clients each send half a request (half of them half a
    // head, half of them a head and a tenth of the body), then wait.
    let started = Instant::now();
    let mut clients = Vec::new();
    for index in 0..340 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let half = if index % 2 == 0 {
            format!("POST /v1/incidents HTTP/1.1\r\nHost: {addr}\r\n")
        } else {
            format!(
                "POST /v1/incidents HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\n\
                 content-length: 100\r\n\r\n{{\"kind\":"
            )
        };
        stream.write_all(half.as_bytes()).await.unwrap();
        clients.push(stream);
    }

    // Phase 3: every connection is closed within a few seconds, answered
    // 408 naming the deadline it missed or 503 naming the connection cap.
    let mut answers = Vec::new();
    for stream in &mut clients {
        let answer = read_until_closed(stream, Duration::from_secs(5)).await;
        answers.push(answer.expect("a half-sent request is still open after 5 s"));
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let count = |needle: &str| answers.iter().filter(|a| a.contains(needle)).count();
    let (heads, bodies) = (
        count("api_header_read_timeout_ms"),
        count("api_body_read_timeout_ms"),
    );
    let refused = count("limits.api_connections_max = 320");
    assert_eq!(heads + bodies + refused, 340, "{answers:?}");
    assert!(refused >= 20, "{refused} of 340 refused over a cap of 320");
    assert!(
        heads > 100 && bodies > 100,
        "{heads} heads, {bodies} bodies"
    );
    assert!(answers
        .iter()
        .all(|a| a.starts_with("HTTP/1.1 408") || a.starts_with("HTTP/1.1 503")));

    // Phase 4: the node still answers.
    let ready = exchange(
        addr,
        &format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nconnection: close\r\n\r\n"),
    )
    .await;
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");

    // Phase 5: a kept-alive connection that sends nothing after its answer
    // is closed after the idle timeout.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    kept.write_all(request.as_bytes()).await.unwrap();
    let idle_from = Instant::now();
    let answer = read_until_closed(&mut kept, Duration::from_secs(5)).await;
    let answer = answer.expect("an idle kept-alive connection is still open after 5 s");
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"),
        "{answer}"
    );
    assert!(
        idle_from.elapsed() >= Duration::from_millis(900),
        "{:?}",
        idle_from.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_and_rebinding_requests_are_refused_and_change_nothing() {
    // Phase 1: three nodes and one open incident.
    let cluster = start_cluster().await;
    let addr = api_addr(&cluster, 1);
    let id = cluster
        .report("cross-site-1", "theft", 31.2394, 121.4760, 2)
        .await;
    // Every request carries a commander's token: what refuses them is
    // where they come from, not who sends them.
    let token = cluster.token();
    let resolve = |origin: &str, content_type: &str| {
        format!(
            "POST /v1/incidents/{id}/resolve HTTP/1.1\r\nHost: {addr}\r\n{origin}{content_type}\
             authorization: Bearer {token}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
        )
    };

    // Phase 2: the simple request another site's page can send (text/plain
    // with its Origin) is refused 403 naming the origin; without the Origin
    // (a curl), text/plain is still refused 415.
    let forged = resolve(
        "origin: http://attacker.example\r\n",
        "content-type: text/plain\r\n",
    );
    let answer = exchange(addr, &forged).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("attacker.example"), "{answer}");
    let answer = exchange(addr, &resolve("", "content-type: text/plain\r\n")).await;
    assert!(
        answer.starts_with("HTTP/1.1 415") && answer.contains("application/json"),
        "{answer}"
    );
    let approve = format!(
        "POST /v1/plans/{id}/approve HTTP/1.1\r\nHost: {addr}\r\nauthorization: Bearer {token}\r\n\
         connection: close\r\n\r\n"
    );
    let answer = exchange(addr, &approve).await;
    assert!(
        answer.starts_with("HTTP/1.1 415"),
        "a bodiless change without a type: {answer}"
    );

    // Phase 3: a page served under a rebinding name (Host: attacker.example)
    // is refused 421 naming the node's own names, for reads too.
    let rebound =
        "GET /v1/incidents HTTP/1.1\r\nHost: attacker.example\r\nconnection: close\r\n\r\n";
    let answer = exchange(addr, rebound).await;
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    assert!(
        answer.contains(&addr.to_string()) && answer.contains("localhost:"),
        "{answer}"
    );
    let rebound = resolve(
        "origin: http://attacker.example\r\n",
        "content-type: application/json\r\n",
    )
    .replace(&format!("Host: {addr}"), "Host: attacker.example");
    assert!(exchange(addr, &rebound).await.starts_with("HTTP/1.1 421"));

    // Phase 4: nothing was applied; the console's own request (same origin,
    // JSON) still resolves the incident.
    assert_ne!(cluster.incident(&id).await.status, "resolved");
    let own = resolve(
        &format!("origin: http://{addr}\r\n"),
        "content-type: application/json\r\n",
    );
    let answer = exchange(addr, &own).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(cluster.incident(&id).await.status, "resolved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_over_a_cap_are_refused() {
    // Phase 1: three nodes allowing three event streams, two per client.
    let cluster = start_cluster_with(|file| {
        file.limits.api_event_streams_max = 3;
        file.limits.api_event_streams_per_client_max = 2;
    })
    .await;
    let addr = api_addr(&cluster, 1);

    // Phase 2: 127.0.0.1 opens two streams; its third is refused 429
    // naming the per-client cap.
    let (first, head) = open_event_stream([127, 0, 0, 1], addr, cluster.token()).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (_second, head) = open_event_stream([127, 0, 0, 1], addr, cluster.token()).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (mut third, head) = open_event_stream([127, 0, 0, 1], addr, cluster.token()).await;
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    let body = read_or_head(&mut third).await;
    assert!(
        body.contains("api_event_streams_per_client_max = 2"),
        "{body}"
    );

    // Phase 3: another address takes the last place; one more from it is
    // refused 503 naming the total cap.
    let (_fourth, head) = open_event_stream([127, 0, 0, 2], addr, cluster.token()).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (mut fifth, head) = open_event_stream([127, 0, 0, 2], addr, cluster.token()).await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    let body = read_or_head(&mut fifth).await;
    assert!(body.contains("api_event_streams_max = 3"), "{body}");

    // Phase 4: a closed stream gives its place back.
    drop(first);
    let reopened = tokio::time::timeout(ANSWER_WAIT, async {
        loop {
            let (stream, head) = open_event_stream([127, 0, 0, 1], addr, cluster.token()).await;
            if head.starts_with("HTTP/1.1 200") {
                return stream;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        reopened.is_ok(),
        "the closed stream's place was not given back"
    );
}

/// The body of a refusal that keeps the connection open: one read.
async fn read_or_head(stream: &mut TcpStream) -> String {
    let mut body = vec![0_u8; 4096];
    let read = tokio::time::timeout(ANSWER_WAIT, stream.read(&mut body))
        .await
        .expect("the refusal's body arrives")
        .unwrap();
    String::from_utf8_lossy(&body[..read]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_open_event_streams_stops_promptly() {
    // Phase 1: three nodes; two event streams open on node 1, as two
    // consoles would hold them.
    let mut cluster = start_cluster().await;
    let addr = api_addr(&cluster, 1);
    let (mut first, head) = open_event_stream([127, 0, 0, 1], addr, cluster.token()).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (mut second, _) = open_event_stream([127, 0, 0, 1], addr, cluster.token()).await;

    // Phase 2: SIGTERM; the node ends both streams and exits within 5 s.
    let child = cluster.processes.children[0].as_mut().expect("node 1 runs");
    signal(child.id(), Signal::TERM);
    let asked = Instant::now();
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "node 1 still runs 5 s after SIGTERM with open event streams\n{}",
            cluster.log_tails()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "node 1 exited with {exit}");
    for stream in [&mut first, &mut second] {
        assert!(read_until_closed(stream, Duration::from_secs(1))
            .await
            .is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_principal_over_its_rate_is_refused_and_others_are_served() {
    // Phase 1: three nodes allowing each principal 5 requests per second
    // with a burst of 10; two fresh principals' tokens.
    let cluster = start_cluster_with(|file| {
        file.limits.api_requests_per_principal_per_s = 5;
        file.limits.api_requests_burst_per_principal = 10;
    })
    .await;
    let flooder = cluster
        .processes
        .issue_token("dispatcher-flood", &["dispatcher"])
        .await
        .unwrap();
    let other = cluster
        .processes
        .issue_token("viewer-wu", &["viewer"])
        .await
        .unwrap();
    let url = format!("{}/v1/cluster", cluster.client.urls()[0]);
    let http = reqwest::Client::new();

    // Phase 2: 40 requests at once from one principal: the burst is
    // served, most of the rest refused 429 naming the limit, with Retry-After.
    let sends = (0..40).map(|_| http.get(&url).bearer_auth(&flooder).send());
    let answers = futures_util::future::join_all(sends).await;
    let mut refused = 0;
    for answer in answers {
        let answer = answer.unwrap();
        if answer.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
            assert!(answer.headers().contains_key("retry-after"));
            let body = answer.text().await.unwrap();
            assert!(
                body.contains("api_requests_per_principal_per_s = 5"),
                "{body}"
            );
        }
    }
    assert!((20..=30).contains(&refused), "{refused} of 40 refused");

    // Phase 3: another principal is served at once, and the first again after a second.
    let served = http.get(&url).bearer_auth(&other).send().await.unwrap();
    assert_eq!(served.status(), reqwest::StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let again = http.get(&url).bearer_auth(&flooder).send().await.unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::OK);
}
