//! Vector (vector.dev, "Configuring Vector", "Sinks"): the `sinks` of
//! /etc/vector/*.toml, *.yaml and *.yml. A sink sends off the host through `address`
//! (`host:port`: the `vector`, `socket`, `statsd` sinks), `endpoint` or `endpoints`
//! (URLs: `http`, `elasticsearch`, `splunk_hec_logs`, `loki`, ...) or `uri` (`http`);
//! a URL without a port has its scheme's (80 for http, 443 for https). A sink's
//! protocol is its `mode` (socket) or its URL scheme, else its `type`. Sinks without
//! any of these (console, file, blackhole) keep events on the host.

use super::{Forwarder, Reader, Target, parse_url, split_host_port};

/// `(sink name, type, mode, addresses, urls)` as read from either format.
struct Sink {
    name: String,
    kind: String,
    mode: Option<String>,
    addresses: Vec<String>,
    urls: Vec<String>,
}

fn targets_of(file: &str, text: &str, sinks: Vec<Sink>, toml: bool) -> Vec<Target> {
    let mut out = Vec::new();
    for s in sinks {
        let line = text
            .lines()
            .position(|l| {
                let l = l.trim();
                if toml {
                    l == format!("[sinks.{}]", s.name) || l == format!("[sinks.\"{}\"]", s.name)
                } else {
                    l.trim_end_matches(':').trim_matches(['"', '\'']) == s.name
                }
            })
            .map(|i| format!(":{}", i + 1))
            .unwrap_or_default();
        let source = format!("{file}{line} (sink {})", s.name);
        for a in &s.addresses {
            let (host, port) = split_host_port(a);
            out.push(Target {
                host,
                port,
                protocol: s.mode.clone().unwrap_or_else(|| s.kind.clone()),
                source: source.clone(),
            });
        }
        for u in &s.urls {
            let (scheme, host, port) = parse_url(u, "http");
            let port = port.or(match scheme.as_str() {
                "http" => Some(80),
                "https" => Some(443),
                _ => None,
            });
            out.push(Target {
                host,
                port,
                protocol: scheme,
                source: source.clone(),
            });
        }
    }
    out
}

/// Targets of the sinks of a TOML configuration.
pub fn toml_targets(file: &str, text: &str) -> Result<Vec<Target>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| format!("{file}: {}", e.message()))?;
    let mut sinks = Vec::new();
    if let Some(toml::Value::Table(t)) = doc.get("sinks") {
        for (name, v) in t {
            let str_of = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let list_of = |k: &str| -> Vec<String> {
                match v.get(k) {
                    Some(toml::Value::String(s)) => vec![s.clone()],
                    Some(toml::Value::Array(a)) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                }
            };
            sinks.push(sink(name.clone(), str_of, list_of));
        }
    }
    Ok(targets_of(file, text, sinks, true))
}

/// One sink from its settings, whichever format they were read from: `type`, `mode`,
/// `address`, and the URLs of `endpoint`, `endpoints` and `uri`.
fn sink(
    name: String,
    str_of: impl Fn(&str) -> Option<String>,
    list_of: impl Fn(&str) -> Vec<String>,
) -> Sink {
    let mut urls = list_of("endpoint");
    urls.extend(list_of("endpoints"));
    urls.extend(list_of("uri"));
    Sink {
        name,
        kind: str_of("type").unwrap_or_default(),
        mode: str_of("mode"),
        addresses: list_of("address"),
        urls,
    }
}

/// Targets of the sinks of a YAML configuration.
pub fn yaml_targets(file: &str, text: &str) -> Result<Vec<Target>, String> {
    use yaml_rust2::Yaml;
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let mut sinks = Vec::new();
    for doc in &docs {
        let Some(map) = doc["sinks"].as_hash() else {
            continue;
        };
        for (name, v) in map {
            let Some(name) = name.as_str() else { continue };
            let str_of = |k: &str| v[k].as_str().map(str::to_string);
            let list_of = |k: &str| -> Vec<String> {
                match &v[k] {
                    Yaml::String(s) => vec![s.clone()],
                    Yaml::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                }
            };
            sinks.push(sink(name.to_string(), str_of, list_of));
        }
    }
    Ok(targets_of(file, text, sinks, false))
}

/// Vector as configured on the host.
pub fn inspect(r: &mut Reader) -> Forwarder {
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    for file in r.dir_files("/etc/vector", &[".toml", ".yaml", ".yml"]) {
        let Some(text) = r.text(&file) else { continue };
        let got = if file.ends_with(".toml") {
            toml_targets(&file, &text)
        } else {
            yaml_targets(&file, &text)
        };
        match got {
            Ok(t) => targets.extend(t),
            Err(e) => problems.push(e),
        }
    }
    Forwarder {
        configured: !targets.is_empty(),
        enabled: r.unit_enabled("vector.service"),
        targets,
        unreadable: problems,
        ..Forwarder::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_yaml_sinks() {
        let t = toml_targets(
            "/etc/vector/vector.toml",
            "[sources.journal]\ntype = \"journald\"\n\n[sinks.siem]\ntype = \"socket\"\ninputs = [\"journal\"]\naddress = \"siem.example.net:6514\"\nmode = \"tcp\"\n\n[sinks.es]\ntype = \"elasticsearch\"\nendpoints = [\"https://es.example\"]\n\n[sinks.out]\ntype = \"console\"\n",
        )
        .unwrap();
        let got: Vec<String> = t.iter().map(Target::describe).collect();
        assert_eq!(
            got,
            [
                "es.example:443/https (/etc/vector/vector.toml:10 (sink es))",
                "siem.example.net:6514/tcp (/etc/vector/vector.toml:4 (sink siem))",
            ]
        );
        let y = yaml_targets(
            "/etc/vector/vector.yaml",
            "sinks:\n  central:\n    type: vector\n    inputs: [journal]\n    address: 10.0.0.4:6000\n",
        )
        .unwrap();
        assert_eq!(
            y.iter().map(Target::describe).collect::<Vec<_>>(),
            ["10.0.0.4:6000/vector (/etc/vector/vector.yaml:2 (sink central))"]
        );
        assert!(toml_targets("f", "[sinks").is_err());
    }
}
