//! Fluent Bit (docs.fluentbit.io, "Configuration file" classic and YAML formats): the
//! `[OUTPUT]` sections of /etc/fluent-bit/*.conf (and the files they `@INCLUDE`) and
//! the `pipeline.outputs` of /etc/fluent-bit/*.yaml / *.yml. An output with a `Host`
//! sends off the host; its `Port` defaults as the output plugin's does (forward 24224,
//! syslog 514, http 80, tcp 5170, splunk 8088, es and opensearch 9200, loki 3100, gelf
//! 12201; any other: none). Keys are case-insensitive, as Fluent Bit reads them.

use super::{Forwarder, Reader, Target};

/// Most files followed through `@INCLUDE`, so an include cycle or a huge tree ends.
const MAX_INCLUDES: usize = 64;

fn default_port(plugin: &str) -> Option<u16> {
    Some(match plugin {
        "forward" => 24224,
        "syslog" => 514,
        "http" => 80,
        "tcp" => 5170,
        "splunk" => 8088,
        "es" | "opensearch" => 9200,
        "loki" => 3100,
        "gelf" => 12201,
        _ => return None,
    })
}

fn target(
    name: &str,
    host: &str,
    port: Option<&str>,
    mode: Option<&str>,
    source: String,
) -> Target {
    let plugin = name.to_ascii_lowercase();
    let protocol = match (plugin.as_str(), mode) {
        ("syslog", Some(m)) => format!("syslog/{}", m.to_ascii_lowercase()),
        _ => plugin.clone(),
    };
    Target {
        host: host.to_string(),
        port: port
            .and_then(|p| p.trim().parse().ok())
            .or_else(|| default_port(&plugin)),
        protocol,
        source,
    }
}

/// Targets of the `[OUTPUT]` sections of classic-format files; `@INCLUDE`d names
/// are returned for the caller to read.
pub fn classic_targets(file: &str, text: &str, includes: &mut Vec<String>) -> Vec<Target> {
    let mut out = Vec::new();
    // (name, host, host line, port, mode) of the [OUTPUT] section being read.
    type Section = (
        Option<String>,
        Option<(String, usize)>,
        Option<String>,
        Option<String>,
    );
    let mut section: Option<Section> = None;
    let flush = |s: Option<Section>, out: &mut Vec<Target>| {
        if let Some((name, Some((host, line)), port, mode)) = s {
            out.push(target(
                name.as_deref().unwrap_or("unknown"),
                &host,
                port.as_deref(),
                mode.as_deref(),
                format!("{file}:{line}"),
            ));
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if l.starts_with('[') {
            flush(section.take(), &mut out);
            if l.eq_ignore_ascii_case("[OUTPUT]") {
                section = Some((None, None, None, None));
            }
            continue;
        }
        if let Some(rest) = l
            .strip_prefix("@INCLUDE")
            .or_else(|| l.strip_prefix("@include"))
        {
            let inc = rest.trim();
            let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
            includes.push(if inc.starts_with('/') {
                inc.to_string()
            } else {
                format!("{dir}/{inc}")
            });
            continue;
        }
        let Some(s) = section.as_mut() else {
            continue;
        };
        let (k, v) = match l.split_once(char::is_whitespace) {
            Some((k, v)) => (k.to_ascii_lowercase(), v.trim().to_string()),
            None => continue,
        };
        match k.as_str() {
            "name" => s.0 = Some(v),
            "host" => s.1 = Some((v, i + 1)),
            "port" => s.2 = Some(v),
            "mode" => s.3 = Some(v),
            _ => {}
        }
    }
    flush(section.take(), &mut out);
    out
}

/// Targets of the `pipeline.outputs` of a YAML-format file.
pub fn yaml_targets(file: &str, text: &str) -> Result<Vec<Target>, String> {
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let mut out = Vec::new();
    for doc in &docs {
        let Some(outputs) = doc["pipeline"]["outputs"].as_vec() else {
            continue;
        };
        for o in outputs {
            let Some(map) = o.as_hash() else { continue };
            let get = |key: &str| {
                map.iter().find_map(|(k, v)| {
                    let k = k.as_str()?;
                    k.eq_ignore_ascii_case(key).then(|| match v {
                        yaml_rust2::Yaml::Integer(i) => i.to_string(),
                        v => v.as_str().unwrap_or("").to_string(),
                    })
                })
            };
            let Some(host) = get("host").filter(|h| !h.is_empty()) else {
                continue;
            };
            // The loader keeps no positions: the line is that of the first `host:`
            // line naming this host.
            let line = text
                .lines()
                .position(|l| {
                    let l = l.trim_start().trim_start_matches("- ");
                    l.to_ascii_lowercase().starts_with("host:") && l.contains(host.as_str())
                })
                .map(|i| format!(":{}", i + 1))
                .unwrap_or_default();
            out.push(target(
                get("name").as_deref().unwrap_or("unknown"),
                &host,
                get("port").as_deref(),
                get("mode").as_deref(),
                format!("{file}{line}"),
            ));
        }
    }
    Ok(out)
}

/// Fluent Bit as configured on the host.
pub fn inspect(r: &mut Reader) -> Forwarder {
    let mut queue = r.dir_files("/etc/fluent-bit", &[".conf", ".yaml", ".yml"]);
    let mut seen = std::collections::BTreeSet::new();
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    while let Some(file) = queue.pop() {
        if !seen.insert(file.clone()) || seen.len() > MAX_INCLUDES {
            continue;
        }
        let Some(text) = r.text(&file) else { continue };
        if file.ends_with(".yaml") || file.ends_with(".yml") {
            match yaml_targets(&file, &text) {
                Ok(t) => targets.extend(t),
                Err(e) => problems.push(e),
            }
        } else {
            let mut includes = Vec::new();
            targets.extend(classic_targets(&file, &text, &mut includes));
            queue.extend(includes.into_iter().filter(|i| !i.contains('*')));
        }
    }
    targets.sort_by(|a, b| a.source.cmp(&b.source));
    Forwarder {
        configured: !targets.is_empty(),
        enabled: r.unit_enabled("fluent-bit.service"),
        targets,
        unreadable: problems,
        ..Forwarder::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_outputs_with_a_host() {
        let conf = "[SERVICE]\n    Flush 1\n@INCLUDE outputs.conf\n[INPUT]\n    Name systemd\n[OUTPUT]\n    Name  forward\n    Match *\n    Host  siem.example.net\n[OUTPUT]\n    name stdout\n[OUTPUT]\n    Name syslog\n    host 10.0.0.9\n    PORT 6514\n    mode tls\n";
        let mut inc = Vec::new();
        let t = classic_targets("/etc/fluent-bit/fluent-bit.conf", conf, &mut inc);
        let got: Vec<String> = t.iter().map(Target::describe).collect();
        assert_eq!(
            got,
            [
                "siem.example.net:24224/forward (/etc/fluent-bit/fluent-bit.conf:9)",
                "10.0.0.9:6514/syslog/tls (/etc/fluent-bit/fluent-bit.conf:14)",
            ]
        );
        assert_eq!(inc, ["/etc/fluent-bit/outputs.conf"]);
    }

    #[test]
    fn yaml_pipeline_outputs() {
        let y = "service:\n  flush: 1\npipeline:\n  inputs:\n    - name: systemd\n  outputs:\n    - name: forward\n      match: '*'\n      host: siem.example.net\n      port: 24224\n    - name: stdout\n";
        let t = yaml_targets("/etc/fluent-bit/fluent-bit.yaml", y).unwrap();
        assert_eq!(
            t.iter().map(Target::describe).collect::<Vec<_>>(),
            ["siem.example.net:24224/forward (/etc/fluent-bit/fluent-bit.yaml:9)"]
        );
        assert!(yaml_targets("f", "a: [").is_err());
    }
}
