//! The AWS CloudTrail format: `{"Records": [...]}` documents (as CloudTrail delivers
//! them) or one record per line, each record one [`Event`]. Identity from
//! `userIdentity` (the issuing role for assumed-role sessions); outcome from
//! `errorCode` (absent: success, as CloudTrail writes it).

use serde_json::Value;

use super::{Event, Parsed, Stage, clip, jstr};
use crate::policy::time;

fn cloudtrail_event(v: &Value, line: usize, raw: String) -> Event {
    let name = jstr(v, &["eventName"]);
    let identity = jstr(
        v,
        &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
    )
    .or_else(|| jstr(v, &["userIdentity", "arn"]))
    .or_else(|| jstr(v, &["userIdentity", "principalId"]))
    .map(String::from);
    let error = jstr(v, &["errorCode"]);
    let denied = error.is_some_and(|e| e.contains("AccessDenied") || e.contains("Unauthorized"));
    let kms = jstr(v, &["eventSource"]) == Some("kms.amazonaws.com");
    let destructive = match name {
        Some("ScheduleKeyDeletion" | "DeleteImportedKeyMaterial") if kms => Some("deletion"),
        Some("DisableKey" | "DisableKeyRotation") if kms => Some("disable"),
        Some("PutKeyPolicy" | "CreateGrant" | "RevokeGrant" | "RetireGrant") if kms => {
            Some("policy_change")
        }
        Some("StopLogging" | "DeleteTrail" | "UpdateTrail") => Some("audit_change"),
        _ => None,
    }
    .filter(|_| error.is_none());
    let (key, stage) = if kms && error.is_none() {
        (kms_key(v), name.and_then(kms_stage))
    } else {
        (None, None)
    };
    Event {
        line,
        event_type: name.map(String::from),
        time: jstr(v, &["eventTime"]).and_then(time::parse_rfc3339),
        identity,
        policies: Vec::new(),
        outcome: v.get("eventName").map(|_| {
            if error.is_some() {
                "failure"
            } else {
                "success"
            }
            .to_string()
        }),
        denied,
        action: name.map(String::from),
        destructive,
        raw_secret: false,
        carries_token: false,
        root_activity: None,
        records: vec![raw],
        key,
        stage,
        record_id: jstr(v, &["eventID"]).map(String::from),
    }
}

/// The KMS key a record is about: the `AWS::KMS::Key` resource's ARN, else the
/// request's `keyId` (an id, ARN or alias), else the key `CreateKey` made.
fn kms_key(v: &Value) -> Option<String> {
    if let Some(Value::Array(rs)) = v.get("resources") {
        for r in rs {
            if jstr(r, &["type"]) == Some("AWS::KMS::Key")
                && let Some(arn) = jstr(r, &["ARN"])
            {
                return Some(arn.to_string());
            }
        }
    }
    jstr(v, &["requestParameters", "keyId"])
        .or_else(|| jstr(v, &["responseElements", "keyMetadata", "arn"]))
        .or_else(|| jstr(v, &["responseElements", "keyMetadata", "keyId"]))
        .map(String::from)
}

/// Where a successful AWS KMS API call falls in the key's lifecycle (AWS KMS API
/// reference: the actions that create, rotate, use, change, disable or delete a key;
/// automatic rotations are logged as `RotateKey` too).
fn kms_stage(name: &str) -> Option<Stage> {
    Some(match name {
        "CreateKey" | "ImportKeyMaterial" | "ReplicateKey" => Stage::Generated,
        "RotateKey" | "RotateKeyOnDemand" => Stage::Rotated,
        "Encrypt"
        | "Decrypt"
        | "ReEncrypt"
        | "GenerateDataKey"
        | "GenerateDataKeyWithoutPlaintext"
        | "GenerateDataKeyPair"
        | "GenerateDataKeyPairWithoutPlaintext"
        | "Sign"
        | "Verify"
        | "GenerateMac"
        | "VerifyMac"
        | "DeriveSharedSecret" => Stage::Used,
        "PutKeyPolicy"
        | "CreateGrant"
        | "RevokeGrant"
        | "RetireGrant"
        | "EnableKeyRotation"
        | "DisableKeyRotation"
        | "UpdateKeyDescription"
        | "UpdatePrimaryRegion" => Stage::PolicyChanged,
        "DisableKey" => Stage::Disabled,
        "EnableKey" => Stage::Enabled,
        "ScheduleKeyDeletion" => Stage::DeletionScheduled,
        "CancelKeyDeletion" => Stage::DeletionCancelled,
        "DeleteImportedKeyMaterial" => Stage::Destroyed,
        _ => return None,
    })
}

/// Parses CloudTrail: `{"Records":[...]}` documents, or one record a line; one event a
/// record.
pub fn parse_cloudtrail(text: &str) -> Parsed {
    let mut p = Parsed::default();
    let push_doc = |v: &Value, line: usize, p: &mut Parsed| {
        if let Some(Value::Array(recs)) = v.get("Records") {
            for r in recs {
                p.events
                    .push(cloudtrail_event(r, line, clip(&r.to_string())));
            }
        } else if v.is_object() {
            p.events
                .push(cloudtrail_event(v, line, clip(&v.to_string())));
        }
    };
    // A whole-file document (as CloudTrail delivers), else one JSON value per line.
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        push_doc(&v, 1, &mut p);
        return p;
    }
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) => push_doc(&v, n + 1, &mut p),
            Err(_) => p.unparsable.push(n + 1),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_documents_and_lines() {
        let doc = r#"{"Records":[{"eventTime":"2024-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/KeyAdmin/s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/KeyAdmin"}}}},
{"eventTime":"2024-01-01T00:00:05Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","errorCode":"AccessDenied","userIdentity":{"arn":"arn:aws:iam::1:user/eve"}}]}"#;
        let p = parse_cloudtrail(doc);
        assert_eq!(p.events.len(), 2);
        assert_eq!(
            p.events[0].identity.as_deref(),
            Some("arn:aws:iam::1:role/KeyAdmin")
        );
        assert_eq!(p.events[0].destructive, Some("deletion"));
        assert!(p.events[1].denied);
        let lines = "{\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventName\":\"DisableKey\",\"eventSource\":\"kms.amazonaws.com\"}\nnot json\n";
        let p = parse_cloudtrail(lines);
        assert_eq!(p.unparsable, vec![2]);
        assert_eq!(p.events[0].missing(), vec!["identity"]);
    }
}
