//! The evidence bundle (README, "For auditors"): one archive per review
//! holding the exports as written with their manifests, the reviewed files,
//! the remediation reports, the HTML report, the snapshot's data as CSV,
//! and `index.json` and `SHA256SUMS` listing every member with its SHA-256;
//! optionally signed. [`check`] re-checks a bundle from its own contents,
//! and against the database when there is one.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::archive::{self, ArchiveWriter, Kind};
use crate::edited_csv::{Table as CsvTable, cell};
use crate::error::Error;
use crate::evidence::sha256_hex;
use crate::files::{MAX_SHEET_BYTES, read_capped, write_atomically, write_bytes_atomically};
use crate::output::html;
use crate::sheet::unguard;
use crate::signing;
use crate::store::{JournalRow, Store, StoreError, Table};
use crate::workflow::collection;
use crate::workflow::remediation::report as remediation_report;
use crate::workflow::review_report::{self, ReportRequest};
use crate::workflow::verification::{ManifestFacts, Verification, revocation_discrepancies};

const INDEX: &str = "index.json";
const SUMS: &str = "SHA256SUMS";

/// What each member is, as `index.json` names it.
pub mod role {
    pub const MANIFEST: &str = "manifest";
    pub const EXPORT: &str = "export";
    pub const REVIEWED: &str = "reviewed sheet";
    pub const REMEDIATION: &str = "remediation report";
    pub const REPORT: &str = "html report";
    pub const DATA: &str = "snapshot data";
    pub const ROSTER: &str = "hr roster";
}

/// What to bundle: validated options.
#[derive(Debug, Clone)]
pub struct EvidenceRequest {
    pub manifests: Vec<PathBuf>,
    pub out: PathBuf,
    pub sheets: Vec<PathBuf>,
    pub reports: Vec<PathBuf>,
    pub hr: Option<PathBuf>,
    pub hr_alias: Option<PathBuf>,
    pub dormant_days: u32,
    pub sign: Option<PathBuf>,
    pub force: bool,
}

/// `index.json`: the bundle's table of contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    pub bundle_version: u32,
    pub tool_version: String,
    pub created_at: String,
    pub snapshot_id: i64,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    /// Relative to the bundle's folder, `/`-separated.
    pub path: String,
    pub role: String,
    pub bytes: u64,
    pub sha256: String,
    /// Where it came from, for a member copied from a file.
    pub source: Option<String>,
}

/// A bundle written, and its check.
#[derive(Debug, Serialize)]
pub struct Made {
    pub bundle: String,
    pub signature: Option<String>,
    pub index: Index,
    pub check: Verification,
}

/// The folder the members sit in: the bundle's name without its extension.
fn folder_of(out: &Path) -> String {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "evidence".into());
    let lower = name.to_ascii_lowercase();
    for ext in [".tar.gz", ".tgz", ".zip"] {
        if lower.ends_with(ext) {
            return name[..name.len() - ext.len()].to_owned();
        }
    }
    name
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The members as they are gathered: each name unique.
struct Members {
    folder: String,
    entries: Vec<Member>,
    taken: HashSet<String>,
}

impl Members {
    /// `name` under `dir`, numbered when two files share a name.
    fn place(&mut self, dir: &str, name: &str) -> String {
        let mut path = format!("{dir}{name}");
        let mut n = 2;
        while !self.taken.insert(path.clone()) {
            path = format!("{dir}{n}-{name}");
            n += 1;
        }
        path
    }

    fn add<W: std::io::Write + std::io::Seek>(
        &mut self,
        w: &mut ArchiveWriter<W>,
        path: String,
        role: &str,
        source: Option<&Path>,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        w.add(&format!("{}/{path}", self.folder), bytes)?;
        self.entries.push(Member {
            path,
            role: role.to_owned(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            source: source.map(|p| p.display().to_string()),
        });
        Ok(())
    }
}

/// `SHA256SUMS` for `members`, as `sha256sum -c` reads it.
fn sums(members: &[Member]) -> String {
    members
        .iter()
        .map(|m| format!("{}  {}\n", m.sha256, m.path))
        .collect()
}

/// Write the bundle `request` asks for, sign it if asked, and check it.
pub fn make(store: &Store, request: &EvidenceRequest) -> Result<Made, Error> {
    let out = &request.out;
    let kind = Kind::of(out).ok_or_else(|| Error::BadBundle {
        path: out.clone(),
        detail: "its name ends neither in .zip nor in .tar.gz".into(),
    })?;
    let signature = request.sign.as_ref().map(|_| signing::signature_path(out));
    if !request.force {
        for p in std::iter::once(out).chain(signature.as_ref()) {
            if p.exists() {
                return Err(Error::OutputExists { path: p.clone() });
            }
        }
    }

    // A key that cannot sign stops everything before a byte is written.
    let signer = request.sign.as_deref().map(signing::signer).transpose()?;

    // The exports, each as its manifest vouches for it: one snapshot.
    let mut exports = Vec::new();
    for path in &request.manifests {
        exports.push((path, ManifestFacts::read(path)?));
    }
    let snapshot_id = exports[0].1.snapshot_id;
    if let Some((path, m)) = exports.iter().find(|(_, m)| m.snapshot_id != snapshot_id) {
        return Err(Error::BadBundle {
            path: path.to_path_buf(),
            detail: format!(
                "it is an export of snapshot {}, {} of snapshot {snapshot_id}; bundle the exports \
                 of one review together",
                m.snapshot_id,
                exports[0].0.display()
            ),
        });
    }
    store.complete_snapshot(snapshot_id)?;
    let mut reports: Vec<PathBuf> = request.reports.clone();
    for sheet in &request.sheets {
        let default = remediation_report::default_path(sheet);
        if default.is_file() && !reports.contains(&default) {
            reports.push(default);
        }
    }
    // The report reads the reviewed files as apply reads them, and refuses
    // files of another snapshot, before anything is written.
    let page = html::render(&review_report::gather(
        store,
        &ReportRequest {
            snapshot: Some(snapshot_id),
            baseline: None,
            sheets: request.sheets.clone(),
            hr: request.hr.clone(),
            hr_alias: request.hr_alias.clone(),
            dormant_days: request.dormant_days,
        },
    )?);

    let mut members = Members {
        folder: folder_of(out),
        entries: Vec::new(),
        taken: HashSet::from([INDEX.to_owned(), SUMS.to_owned()]),
    };
    let io = |source| Error::WriteFile {
        path: out.clone(),
        source,
    };
    write_atomically(out, |buf| {
        let mut w = ArchiveWriter::new(kind, buf);
        let copy = |w: &mut ArchiveWriter<_>, m: &mut Members, dir: &str, role, path: &Path| {
            let bytes = read_capped(path, role, MAX_SHEET_BYTES)?;
            let at = m.place(dir, &file_name(path));
            m.add(w, at, role, Some(path), &bytes).map_err(io)
        };
        for (i, (path, facts)) in exports.iter().enumerate() {
            let dir = if exports.len() == 1 {
                "export/".to_owned()
            } else {
                format!("export-{}/", i + 1)
            };
            copy(&mut w, &mut members, &dir, role::MANIFEST, path)?;
            let beside = path.parent().unwrap_or(Path::new("."));
            for (file, _, _) in facts.listed() {
                copy(&mut w, &mut members, &dir, role::EXPORT, &beside.join(file))?;
            }
        }
        for sheet in &request.sheets {
            copy(&mut w, &mut members, "reviewed/", role::REVIEWED, sheet)?;
        }
        for report in &reports {
            copy(&mut w, &mut members, "remediation/", role::REMEDIATION, report)?;
        }
        for roster in request.hr.iter().chain(&request.hr_alias) {
            copy(&mut w, &mut members, "hr/", role::ROSTER, roster)?;
        }
        let at = members.place("", "report.html");
        members
            .add(&mut w, at, role::REPORT, None, page.as_bytes())
            .map_err(io)?;
        for table in Table::ALL {
            let mut bytes = Vec::new();
            store.write_table(table, snapshot_id, &mut bytes)?;
            let at = members.place("data/", table.file_name());
            members
                .add(&mut w, at, role::DATA, None, &bytes)
                .map_err(io)?;
        }
        let index = Index {
            bundle_version: 1,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            snapshot_id,
            members: members.entries.clone(),
        };
        let json = serde_json::to_vec_pretty(&index).expect("the index serializes");
        w.add(&format!("{}/{INDEX}", members.folder), &json)
            .map_err(io)?;
        let index_sha = sha256_hex(&json);
        w.add(
            &format!("{}/{SUMS}", members.folder),
            sums(&index.members).as_bytes(),
        )
        .map_err(io)?;
        Ok((w.finish().map_err(io)?, (index, index_sha)))
    })
    .and_then(|(index, index_sha)| {
        if let (Some(signer), Some(sig_path)) = (&signer, &signature) {
            let text = signing::sign(
                signer,
                out,
                &format!(
                    "slack-uar evidence of snapshot {snapshot_id}: {}, index.json sha256 {index_sha}",
                    file_name(out),
                ),
            )?;
            write_bytes_atomically(sig_path, text.as_bytes())?;
        }
        let check = check(out, Some(store), signer.as_ref().map(|s| &s.public))?;
        Ok(Made {
            bundle: out.display().to_string(),
            signature: signature.as_ref().map(|p| p.display().to_string()),
            index,
            check,
        })
    })
}

/// The rows of a CSV member, by its header's names.
struct Rows {
    table: CsvTable,
}

impl Rows {
    fn read(bytes: &[u8]) -> Option<Rows> {
        CsvTable::read(bytes).ok().map(|table| Rows { table })
    }

    fn each<'a>(&'a self, names: &'a [&'a str]) -> impl Iterator<Item = Vec<String>> + 'a {
        let at: Vec<Option<usize>> = names.iter().map(|n| self.table.column(n)).collect();
        self.table.records.iter().map(move |(_, r)| {
            at.iter()
                .map(|i| {
                    cell(r, *i)
                        .map(|c| unguard(&c).to_owned())
                        .unwrap_or_default()
                })
                .collect()
        })
    }
}

/// Check the bundle at `path`: its signature (with `key`), every member
/// against the index, each export against its manifest and the bundle's
/// grants, the reviewed files and remediation reports against the
/// bundle's journal, and, with a database holding the snapshot, the
/// bundle's data against it.
pub fn check(
    path: &Path,
    store: Option<&Store>,
    key: Option<&minisign::PublicKey>,
) -> Result<Verification, Error> {
    let bytes = read_capped(path, "evidence bundle", archive::MAX_TOTAL_BYTES)?;
    let bad = |detail: String| Error::BadBundle {
        path: path.to_owned(),
        detail,
    };
    let mut found = Vec::new();
    let mut notes = Vec::new();

    let sig_path = signing::signature_path(path);
    match (key, sig_path.is_file()) {
        (Some(key), true) => {
            let sig = read_capped(&sig_path, "signature", 64 * 1024)?;
            match signing::check(key, &String::from_utf8_lossy(&sig), &bytes) {
                Ok(comment) => notes.push(format!(
                    "the signature {} holds: {comment}",
                    sig_path.display()
                )),
                Err(why) => found.push(format!(
                    "the signature {} does not hold for this bundle and key: {why}",
                    sig_path.display()
                )),
            }
        }
        (Some(_), false) => found.push(format!(
            "the bundle is not signed: {} is missing",
            sig_path.display()
        )),
        (None, true) => notes.push(format!(
            "{} was not checked: pass --key with the signer's public key",
            sig_path.display()
        )),
        (None, false) => notes.push("the bundle is not signed".into()),
    }

    let members = archive::read_members(&bytes).map_err(bad)?;
    let index_at = members
        .iter()
        .position(|(name, _)| name == INDEX || name.ends_with(&format!("/{INDEX}")))
        .ok_or_else(|| {
            bad(format!(
                "it has no {INDEX}; it is not a slack-uar evidence bundle"
            ))
        })?;
    let prefix = members[index_at].0[..members[index_at].0.len() - INDEX.len()].to_owned();
    let index: Index = serde_json::from_slice(&members[index_at].1)
        .map_err(|e| bad(format!("its {INDEX} cannot be read: {e}")))?;
    let content: HashMap<&str, &[u8]> = members
        .iter()
        .filter_map(|(name, data)| Some((name.strip_prefix(&prefix)?, data.as_slice())))
        .collect();
    for (name, _) in &members {
        if !name.starts_with(&prefix) {
            found.push(format!("{name} is outside the bundle's folder {prefix}"));
        }
    }

    // Every member as the index lists it, and nothing else.
    let listed: HashSet<&str> = index.members.iter().map(|m| m.path.as_str()).collect();
    for m in &index.members {
        match content.get(m.path.as_str()) {
            None => found.push(format!("{} is listed in {INDEX} but missing", m.path)),
            Some(data) => {
                let sha = sha256_hex(data);
                if sha != m.sha256 {
                    found.push(format!(
                        "{} has changed: its SHA-256 is {sha}, {INDEX} says {}",
                        m.path, m.sha256
                    ));
                }
            }
        }
    }
    for name in content.keys() {
        if !listed.contains(name) && *name != INDEX && *name != SUMS {
            found.push(format!("{name} is in the bundle but not in {INDEX}"));
        }
    }
    if content.get(SUMS).copied() != Some(sums(&index.members).as_bytes()) {
        found.push(format!("{SUMS} does not match {INDEX}"));
    }

    // The snapshot's grants, as the bundle holds them.
    let data = |t: Table| {
        content
            .get(format!("data/{}", t.file_name()).as_str())
            .copied()
    };
    let grants: HashMap<(String, String), String> = data(Table::Grants)
        .and_then(Rows::read)
        .map(|rows| {
            rows.each(&["user_id", "entitlement", "workspace_id"])
                .map(|mut r| {
                    let ws = r.pop().unwrap_or_default();
                    let ent = r.pop().unwrap_or_default();
                    let user = r.pop().unwrap_or_default();
                    ((user, ent), ws)
                })
                .collect()
        })
        .unwrap_or_else(|| {
            found.push("data/grants.csv is missing or unreadable".into());
            HashMap::new()
        });
    let id = index.snapshot_id;
    let lookup = |snapshot: i64, user: &str, entitlement: &str| {
        (snapshot == id)
            .then(|| {
                grants
                    .get(&(user.to_owned(), entitlement.to_owned()))
                    .cloned()
            })
            .flatten()
    };
    let of_role = |r: &'static str| {
        index
            .members
            .iter()
            .filter(move |m| m.role == r)
            .filter_map(|m| Some((m, *content.get(m.path.as_str())?)))
    };

    // Each export against its manifest and the snapshot's grants.
    for (m, text) in of_role(role::MANIFEST) {
        let facts = match ManifestFacts::parse(Path::new(&m.path), text) {
            Ok(f) => f,
            Err(e) => {
                found.push(e.to_string());
                continue;
            }
        };
        if facts.snapshot_id != id {
            found.push(format!(
                "{} is of snapshot {}, the bundle of snapshot {id}",
                m.path, facts.snapshot_id
            ));
        }
        if facts.population_rows != grants.len() as u64 {
            found.push(format!(
                "{} counts {} grants, data/grants.csv holds {}",
                m.path,
                facts.population_rows,
                grants.len()
            ));
        }
        let dir = m.path.rsplit_once('/').map_or("", |(d, _)| d);
        let mut seen = HashSet::new();
        for (file, sha, rows) in facts.listed() {
            let at = if dir.is_empty() {
                file.to_owned()
            } else {
                format!("{dir}/{file}")
            };
            let Some(sheet) = content.get(at.as_str()) else {
                found.push(format!("{at}, which {} vouches for, is missing", m.path));
                continue;
            };
            let actual = sha256_hex(sheet);
            if actual != sha {
                found.push(format!(
                    "{at} has changed since export: its SHA-256 is {actual}, {} says {sha}",
                    m.path
                ));
            }
            match collection::parse(&at, sheet, lookup) {
                Err(refusal) => found.push(refusal.to_string()),
                Ok(s) => {
                    if s.rows.len() as u64 != rows {
                        found.push(format!(
                            "{at} has {} rows, {} says {rows}",
                            s.rows.len(),
                            m.path
                        ));
                    }
                    for r in s.rows {
                        if !seen.insert(r.row_id.clone()) {
                            found.push(format!("row {} is in more than one file", r.row_id));
                        }
                    }
                }
            }
        }
        if facts.filter.is_none() && seen.len() != grants.len() {
            found.push(format!(
                "the export of {} holds {} of the snapshot's {} grants: the population is not complete",
                m.path,
                seen.len(),
                grants.len()
            ));
        }
    }

    // The reviewed files, read as apply reads them.
    for (m, sheet) in of_role(role::REVIEWED) {
        if let Err(refusal) = collection::parse(&m.path, sheet, lookup) {
            found.push(refusal.to_string());
        }
    }

    // The journal, and each remediation report against it.
    let journal: Vec<JournalRow> = data(Table::Revocations)
        .and_then(Rows::read)
        .map(|rows| {
            rows.each(&["row_id", "user_id", "entitlement", "status", "verified"])
                .map(|r| JournalRow {
                    row_id: r[0].clone(),
                    user_id: r[1].clone(),
                    entitlement: r[2].clone(),
                    status: r[3].clone(),
                    verified: r[4] == "1",
                })
                .collect()
        })
        .unwrap_or_else(|| {
            found.push("data/revocations.csv is missing or unreadable".into());
            Vec::new()
        });
    found.extend(revocation_discrepancies(&journal));
    let by_row: HashMap<&str, &JournalRow> =
        journal.iter().map(|j| (j.row_id.as_str(), j)).collect();
    let mut reported = BTreeSet::new();
    for (m, report) in of_role(role::REMEDIATION) {
        let Some(rows) = Rows::read(report) else {
            found.push(format!("{} is not a readable remediation report", m.path));
            continue;
        };
        for r in rows.each(&["row_id", "user_id", "entitlement", "status", "verified"]) {
            let [row_id, user, entitlement, status, verified] = &r[..] else {
                continue;
            };
            reported.insert(row_id.clone());
            match by_row.get(row_id.as_str()) {
                None => found.push(format!(
                    "{}: row {row_id} is not in the journal (data/revocations.csv)",
                    m.path
                )),
                Some(j) => {
                    let journal_verified = if j.verified { "yes" } else { "no" };
                    if &j.user_id != user
                        || &j.entitlement != entitlement
                        || &j.status != status
                        || journal_verified != verified
                    {
                        found.push(format!(
                            "{}: row {row_id} says {status} (verified {verified}) for {entitlement} of {user}; \
                             the journal says {} (verified {journal_verified}) for {} of {}",
                            m.path, j.status, j.entitlement, j.user_id
                        ));
                    }
                }
            }
        }
    }
    if of_role(role::REMEDIATION).next().is_some() {
        for j in &journal {
            if !reported.contains(&j.row_id) && j.status != "planned" {
                found.push(format!(
                    "revocation {} ({}) is in the journal but in no remediation report",
                    j.row_id, j.status
                ));
            }
        }
    }

    // The bundle's data against the database, where it holds the snapshot.
    match store {
        Some(store) => match store.snapshot(id) {
            Ok(_) => {
                for table in Table::ALL {
                    let mut now = Vec::new();
                    store.write_table(table, id, &mut now)?;
                    let name = format!("data/{}", table.file_name());
                    if content.get(name.as_str()).copied() != Some(now.as_slice()) {
                        found.push(format!(
                            "{name} differs from snapshot {id} in the database: the bundle, or the \
                             database, changed after the bundle was made"
                        ));
                    }
                }
                notes.push(format!(
                    "the data was compared with snapshot {id} in the database"
                ));
            }
            Err(StoreError::NoSnapshot { .. }) => notes.push(format!(
                "the database has no snapshot {id}: the data was checked against the bundle alone"
            )),
            Err(e) => return Err(e.into()),
        },
        None => notes.push("no database: the data was checked against the bundle alone".into()),
    }

    Ok(Verification {
        manifest: path.display().to_string(),
        snapshot_id: id,
        files: index.members.iter().map(|m| m.path.clone()).collect(),
        discrepancies: found,
        notes,
    })
}

/// Whether `path` looks like a bundle rather than a manifest.
pub fn is_bundle(path: &Path) -> bool {
    Kind::of(path).is_some()
        || std::fs::File::open(path)
            .and_then(|mut f| {
                let mut head = [0u8; 4];
                std::io::Read::read_exact(&mut f, &mut head)?;
                Ok(Kind::sniff(&head).is_some())
            })
            .unwrap_or(false)
}
