//! Tracing subscribers. Only this crate installs them; libraries only emit.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the process's log subscriber: human-readable by default, JSON
/// lines when `json` is set; the level comes from `RUST_LOG` (default `info`,
/// with openraft's chatter at `warn`).
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,openraft=warn,quinn=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}
