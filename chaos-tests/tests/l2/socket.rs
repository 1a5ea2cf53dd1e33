//! The faulty socket on its own, raw datagrams, no QUIC: each fault does
//! what it says, in both directions, and shows in the counters.

use std::future::poll_fn;
use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cordon_chaos::faults::NetworkFault;
use cordon_chaos::l2::net::{FaultyNetwork, FaultySocket, LinkFaults};
use quinn::udp::{RecvMeta, Transmit};
use quinn::AsyncUdpSocket;
use tokio::time::Instant;

/// How long a test waits for a datagram it expects not to come.
const SILENCE: Duration = Duration::from_millis(150);

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Sends one datagram once the socket is writable (a fresh socket is not
/// until the reactor says so; quinn waits the same way).
async fn send(from: &Arc<FaultySocket>, to: SocketAddr, contents: &[u8]) {
    let transmit = Transmit {
        destination: to,
        ecn: None,
        contents,
        segment_size: None,
        src_ip: None,
    };
    // Waiting first keeps a WouldBlock from spending a fault decision, so
    // seeded runs stay comparable.
    let mut poller = from.clone().create_io_poller();
    loop {
        poll_fn(|cx| poller.as_mut().poll_writable(cx))
            .await
            .expect("loopback socket becomes writable");
        match from.try_send(&transmit) {
            Ok(()) => return,
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(error) => panic!("send on loopback: {error}"),
        }
    }
}

/// The next datagram at `socket`, or `None` after `within`.
async fn receive(socket: &FaultySocket, within: Duration) -> Option<(SocketAddr, Vec<u8>)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut meta = [RecvMeta::default()];
    let received = tokio::time::timeout(
        within,
        poll_fn(|cx| {
            let mut bufs = [IoSliceMut::new(&mut buf)];
            socket.poll_recv(cx, &mut bufs, &mut meta)
        }),
    )
    .await
    .ok()?
    .expect("receiving on loopback succeeds");
    assert_eq!(received, 1);
    Some((meta[0].addr, buf[..meta[0].len].to_vec()))
}

async fn pair(seed: u64) -> (Arc<FaultyNetwork>, Arc<FaultySocket>, Arc<FaultySocket>) {
    let network = FaultyNetwork::new(seed);
    let a = network.socket(local()).expect("bind a");
    let b = network.socket(local()).expect("bind b");
    (network, a, b)
}

// A partition silences both directions; a one-way cut only one; heal
// restores both.
#[tokio::test]
async fn partitions_and_one_way_cuts_block_exactly_their_links() {
    // Phase 1: a clean link delivers.
    let (network, a, b) = pair(1).await;
    send(&a, b.addr(), b"hello").await;
    assert_eq!(
        receive(&b, SILENCE).await,
        Some((a.addr(), b"hello".to_vec()))
    );

    // Phase 2: partitioned, nothing passes either way.
    network.name_node(1, a.addr());
    network.name_node(2, b.addr());
    NetworkFault::Isolate { node: 1 }
        .inject(&[1, 2], &*network)
        .expect("named nodes");
    send(&a, b.addr(), b"a to b").await;
    send(&b, a.addr(), b"b to a").await;
    assert_eq!(receive(&b, SILENCE).await, None);
    assert_eq!(receive(&a, SILENCE).await, None);

    // Phase 3: healed and cut one way, b still reaches a.
    network.heal();
    NetworkFault::OneWay { from: 1, to: 2 }
        .inject(&[1, 2], &*network)
        .expect("named nodes");
    send(&a, b.addr(), b"a to b").await;
    send(&b, a.addr(), b"b to a").await;
    assert_eq!(receive(&b, SILENCE).await, None);
    assert_eq!(
        receive(&a, SILENCE).await.map(|(_, data)| data),
        Some(b"b to a".to_vec())
    );

    let counters = network.counters();
    assert_eq!(counters.sent, 5);
    assert_eq!(counters.cut, 3);
}

// Delay holds a datagram back at least its delay; duplication delivers it
// twice; reordering swaps it with the next one.
#[tokio::test]
async fn delay_duplication_and_reordering_are_applied_per_datagram() {
    let (network, a, b) = pair(2).await;

    // Phase 1: 60 ms delay, always duplicated.
    let faults = LinkFaults {
        delay_ms: 60,
        duplicate_probability: 1.0,
        ..LinkFaults::NONE
    };
    network
        .set_link(a.addr(), b.addr(), faults)
        .expect("valid faults");
    let sent_at = Instant::now();
    send(&a, b.addr(), b"late").await;
    let first = receive(&b, Duration::from_secs(2)).await;
    assert!(sent_at.elapsed() >= Duration::from_millis(60));
    let second = receive(&b, Duration::from_secs(2)).await;
    assert_eq!(first, second);
    assert_eq!(receive(&b, SILENCE).await, None);

    // Phase 2: every datagram is held for reordering; one held at a time, so
    // "one" waits for "two" and goes after it.
    let faults = LinkFaults {
        reorder_probability: 1.0,
        ..LinkFaults::NONE
    };
    network
        .set_link(a.addr(), b.addr(), faults)
        .expect("valid faults");
    send(&a, b.addr(), b"one").await;
    send(&a, b.addr(), b"two").await;
    let order = [
        receive(&b, SILENCE).await.map(|(_, data)| data),
        receive(&b, SILENCE).await.map(|(_, data)| data),
    ];
    assert_eq!(order, [Some(b"two".to_vec()), Some(b"one".to_vec())]);

    let counters = network.counters();
    assert_eq!((counters.delayed, counters.duplicated), (1, 1));
    assert!(counters.reordered >= 1);
}

// Datagrams from a socket outside the network are judged by the receiver:
// a plain socket's traffic still suffers the faults set for its address.
#[tokio::test]
async fn datagrams_from_outside_the_network_are_judged_on_receipt() {
    // Phase 1: a faulty socket and a plain one.
    let network = FaultyNetwork::new(3);
    let faulty = network.socket(local()).expect("bind faulty");
    let plain = std::net::UdpSocket::bind(local()).expect("bind plain");
    let plain_addr = plain.local_addr().expect("plain socket has an address");

    // Phase 2: everything from the plain socket is lost.
    let faults = LinkFaults {
        drop_probability: 1.0,
        ..LinkFaults::NONE
    };
    network
        .set_link(plain_addr, faulty.addr(), faults)
        .expect("valid faults");
    plain.send_to(b"dropped", faulty.addr()).expect("send");
    assert_eq!(receive(&faulty, SILENCE).await, None);

    // Phase 3: a 30 ms delay instead; the datagram arrives late, intact.
    let faults = LinkFaults {
        delay_ms: 30,
        ..LinkFaults::NONE
    };
    network
        .set_link(plain_addr, faulty.addr(), faults)
        .expect("valid faults");
    let sent_at = Instant::now();
    plain.send_to(b"late", faulty.addr()).expect("send");
    let received = receive(&faulty, Duration::from_secs(2)).await;
    assert_eq!(received, Some((plain_addr, b"late".to_vec())));
    assert!(sent_at.elapsed() >= Duration::from_millis(30));

    let counters = network.counters();
    assert_eq!(counters.judged_on_receive, 2);
    assert_eq!((counters.lost, counters.delayed), (1, 1));
}

// The same seed draws the same fates: two runs of one lossy exchange lose
// the same datagrams.
#[tokio::test]
async fn a_seed_reproduces_which_datagrams_are_lost() {
    async fn delivered(seed: u64) -> Vec<Vec<u8>> {
        let (network, a, b) = pair(seed).await;
        let faults = LinkFaults {
            drop_probability: 0.5,
            ..LinkFaults::NONE
        };
        network
            .set_link(a.addr(), b.addr(), faults)
            .expect("valid faults");
        for n in 0..40u8 {
            send(&a, b.addr(), &[n]).await;
        }
        let mut delivered = Vec::new();
        while let Some((_, data)) = receive(&b, SILENCE).await {
            delivered.push(data);
        }
        delivered
    }
    let first = delivered(9).await;
    assert_eq!(first, delivered(9).await);
    assert!(!first.is_empty() && first.len() < 40, "{}", first.len());
}
