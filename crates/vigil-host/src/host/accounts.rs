//! Unix accounts of the scanned host, read from its /etc/passwd and /etc/group (under
//! `--root` when offline; NSS sources such as LDAP are not consulted, which the
//! documentation says). Group membership is expanded both ways: a user belongs to its
//! primary group (passwd field 4) and to every group that lists it. The key-management
//! probes ([`crate::probes::keymgmt`]) name owners and role members with it.

use std::path::Path;

use crate::host::Host;

#[derive(Debug, Clone, PartialEq)]
/// A user of the scanned host, one line of its `/etc/passwd`.
pub struct User {
    /// Login name (passwd field 1).
    pub name: String,
    /// Numeric user id (field 3).
    pub uid: u32,
    /// Numeric id of the primary group (field 4).
    pub gid: u32,
}

#[derive(Debug, Clone, PartialEq)]
/// A group of the scanned host, one line of its `/etc/group`.
pub struct Group {
    /// Group name (field 1).
    pub name: String,
    /// Numeric group id (field 3).
    pub gid: u32,
    /// User names listed as members (field 4), in file order; users whose primary group
    /// this is are not listed here unless the file lists them.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Default)]
/// The accounts of the scanned host: its `/etc/passwd` users and `/etc/group` groups.
pub struct Accounts {
    /// Users in `/etc/passwd` order; empty when the file is missing.
    pub users: Vec<User>,
    /// Groups in `/etc/group` order; empty when the file is missing.
    pub groups: Vec<Group>,
}

/// How a user came to be in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The group is the user's primary group (passwd field 4).
    Primary,
    /// The group's member list (group field 4) names the user.
    Member,
}

impl Accounts {
    /// Reads the host's account files; missing files give no accounts.
    pub fn read(host: &Host) -> std::io::Result<Accounts> {
        let max = 64 * 1024 * 1024;
        let passwd = host
            .read_file(Path::new("/etc/passwd"), max)?
            .unwrap_or_default();
        let group = host
            .read_file(Path::new("/etc/group"), max)?
            .unwrap_or_default();
        Ok(Accounts::parse(
            &String::from_utf8_lossy(&passwd),
            &String::from_utf8_lossy(&group),
        ))
    }

    /// Parses the text of a passwd and a group file; comment lines, NIS `+`/`-` entries
    /// and lines with too few fields or non-numeric ids are skipped.
    pub fn parse(passwd: &str, group: &str) -> Accounts {
        let mut a = Accounts::default();
        for line in passwd.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 4 || line.starts_with('#') || f[0].starts_with(['+', '-']) {
                continue;
            }
            if let (Ok(uid), Ok(gid)) = (f[2].parse(), f[3].parse()) {
                a.users.push(User {
                    name: f[0].to_string(),
                    uid,
                    gid,
                });
            }
        }
        for line in group.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 3 || line.starts_with('#') || f[0].starts_with(['+', '-']) {
                continue;
            }
            if let Ok(gid) = f[2].parse() {
                a.groups.push(Group {
                    name: f[0].to_string(),
                    gid,
                    members: f
                        .get(3)
                        .map(|m| {
                            m.split(',')
                                .map(str::trim)
                                .filter(|s| !s.is_empty())
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default(),
                });
            }
        }
        a
    }

    /// The user named `name`; `None` when the passwd file has none.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The group named `name`; `None` when the group file has none.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The name of user id `uid`, or the id in decimal when no user has it.
    pub fn user_name(&self, uid: u32) -> String {
        self.users
            .iter()
            .find(|u| u.uid == uid)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| uid.to_string())
    }

    /// The name of group id `gid`, or the id in decimal when no group has it.
    pub fn group_name(&self, gid: u32) -> String {
        self.groups
            .iter()
            .find(|g| g.gid == gid)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| gid.to_string())
    }

    /// A user name or a numeric uid; `None` when it is neither.
    pub fn uid_of(&self, name: &str) -> Option<u32> {
        self.user(name).map(|u| u.uid).or_else(|| name.parse().ok())
    }

    /// A group name or a numeric gid; `None` when it is neither.
    pub fn gid_of(&self, name: &str) -> Option<u32> {
        self.group(name)
            .map(|g| g.gid)
            .or_else(|| name.parse().ok())
    }

    /// Every gid a user is in: its primary group and each group listing it.
    pub fn gids_of(&self, user: &User) -> Vec<u32> {
        let mut gids = vec![user.gid];
        for g in &self.groups {
            if g.members.iter().any(|m| m == &user.name) && !gids.contains(&g.gid) {
                gids.push(g.gid);
            }
        }
        gids
    }

    /// Members of a group: users whose primary group it is, then those it lists.
    pub fn members(&self, group: &Group) -> Vec<(String, Via)> {
        let mut out: Vec<(String, Via)> = self
            .users
            .iter()
            .filter(|u| u.gid == group.gid)
            .map(|u| (u.name.clone(), Via::Primary))
            .collect();
        for m in &group.members {
            if !out.iter().any(|(n, _)| n == m) {
                out.push((m.clone(), Via::Member));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_expands_primary_and_listed_groups() {
        let a = Accounts::parse(
            "root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:3000::/home/bob:/bin/sh\n",
            "root:x:0:\nalice:x:1001:\nauditors:x:3000:carol\nkeyadmins:x:3001:alice,bob\n",
        );
        let auditors = a.group("auditors").unwrap();
        assert_eq!(
            a.members(auditors),
            vec![
                ("bob".to_string(), Via::Primary),
                ("carol".to_string(), Via::Member)
            ]
        );
        assert_eq!(a.gids_of(a.user("bob").unwrap()), vec![3000, 3001]);
        assert_eq!(a.user_name(1001), "alice");
        assert_eq!(a.group_name(4242), "4242");
    }
}
