//! Writing a snapshot's review sheet and its evidence manifest. The sheet
//! streams from the store a row at a time into a hashing writer, so the
//! manifest's SHA-256 is of exactly the bytes written; both files are
//! written atomically and privately (see [`crate::files`]).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::domain::plan::PlanSupport;
use crate::error::Error;
use crate::evidence::HashingWriter;
use crate::files::write_atomically;
use crate::files::{MAX_SHEET_BYTES, read_capped};
use crate::reviewers::{self, Assignment, Fallbacks, Rules};
use crate::roster::Roster;
use crate::sheet::xlsx::XlsxSheet;
use crate::sheet::{self, Filter, ReviewRow};
use crate::store::{PopulationCounts, SnapshotMeta, Store};
use crate::workflow::findings::{self, DormancyFacts, FindingsRequest, RosterFacts};

/// What to export: validated options, defaults resolved by [`resolve`].
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub snapshot: Option<i64>,
    pub baseline: Option<i64>,
    pub filter: Option<Filter>,
    pub out: PathBuf,
    pub force: bool,
    /// The HR roster (and aliases) the findings column is checked against.
    pub hr: Option<PathBuf>,
    pub hr_alias: Option<PathBuf>,
    pub dormant_days: u32,
    /// Reviewer rules (`match,reviewer`), and who takes what nothing matched.
    pub reviewers: Option<PathBuf>,
    pub default_reviewer: Option<String>,
    /// Write one file per reviewer into the folder `out`.
    pub split_by_reviewer: bool,
    /// CSV or XLSX; by default, by `out`'s extension (CSV for a folder).
    pub sheet_format: Option<SheetFormat>,
}

#[derive(Serialize)]
pub struct SyncFacts {
    pub label: Option<String>,
    pub plan_evidence: Option<String>,
    pub api_url: String,
    pub api_calls_by_method: serde_json::Value,
    pub tool_version: String,
    /// Where the workspaces came from, and what the snapshot may lack.
    pub workspace_source: Option<String>,
    pub coverage_note: Option<String>,
    pub enterprise_id: Option<String>,
}

/// The evidence manifest: what an auditor needs to check the sheet's
/// integrity and completeness without slack-uar.
#[derive(Serialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub file: String,
    pub sha256: String,
    pub rows: u64,
    /// Rows of the whole population, whatever the filter.
    pub population_rows: u64,
    pub filter: Option<&'static str>,
    pub snapshot_id: i64,
    pub baseline_snapshot_id: Option<i64>,
    pub generated_at: String,
    pub tool_version: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub plan: String,
    /// What the plan can revoke through Slack's API and what is manual.
    pub plan_support: Option<PlanSupport>,
    pub api_calls: i64,
    pub database: String,
    pub sync: SyncFacts,
    pub counts: PopulationCounts,
    pub columns: &'static [&'static str],
    /// What the findings column was computed from.
    pub findings: FindingsFacts,
    pub reviewers: ReviewerFacts,
    /// A split campaign's files, each with its reviewer, rows and SHA-256;
    /// their union is the whole population, each row once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<SplitFile>>,
    pub verify: BTreeMap<&'static str, String>,
}

/// What the sheet's `findings` column was computed from: an auditor can
/// see which roster (by SHA-256) and which dormancy threshold.
#[derive(Debug, Serialize)]
pub struct FindingsFacts {
    pub roster: Option<RosterFacts>,
    pub dormancy: DormancyFacts,
    /// Accounts with at least one finding.
    pub accounts: usize,
}

/// How the sheet's rows were given reviewers.
#[derive(Debug, Serialize)]
pub struct ReviewerFacts {
    /// The rules file and its SHA-256, when one was given.
    pub rules_file: Option<String>,
    pub rules_sha256: Option<String>,
    pub default_reviewer: Option<String>,
    /// Rows that no rule, manager or default could take.
    pub unassigned_rows: u64,
    /// Rows kept from their own account's review.
    pub self_review_avoided_rows: u64,
}

/// `FILE.manifest.json` beside FILE.
pub fn manifest_path(out: &Path) -> PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(".manifest.json");
    PathBuf::from(p)
}

/// The sheet as written: its hash and how many rows it and the whole
/// population have.
struct Written {
    /// Of the file; for a split campaign, of its files' `sha256  file` lines.
    sha256: String,
    counts: Counts,
}

/// Gives each row its reviewer (see [`crate::reviewers`]).
struct Assigner<'a> {
    roster: Option<&'a Roster>,
    rules: Option<&'a Rules>,
    default: Option<&'a str>,
}

impl Assigner<'_> {
    fn assign(&self, row: &ReviewRow) -> Assignment {
        let account = row.account();
        let manager_of = |email: &str| {
            self.roster
                .and_then(|r| r.lookup(email))
                .and_then(|h| h.manager_email.as_deref())
        };
        let manager = account.email.as_deref().and_then(manager_of);
        reviewers::assign(
            &reviewers::Row {
                entitlement: &row.detail.entitlement,
                account_type: account
                    .account_type
                    .parse()
                    .unwrap_or(crate::domain::model::AccountType::Member),
                email: account.email.as_deref(),
            },
            self.rules,
            &Fallbacks {
                manager,
                managers_manager: manager.and_then(manager_of),
                default: self.default,
            },
        )
    }
}

/// Write the review sheet `request.out` and its manifest beside it; return
/// the manifest.
pub fn export(store: &Store, db: &Path, request: &ExportRequest) -> Result<Manifest, Error> {
    let (meta, baseline) =
        super::snapshot_and_baseline(store, "export", request.snapshot, request.baseline)?;
    let snapshot_id = meta.id();
    if request.filter == Some(Filter::Changed) && baseline.is_none() {
        return Err(Error::ChangedNeedsBaseline {
            snapshot: snapshot_id,
        });
    }
    let out = &request.out;
    let taken = if request.split_by_reviewer {
        out.read_dir().is_ok_and(|mut d| d.next().is_some())
    } else {
        out.exists()
    };
    if taken && !request.force {
        return Err(Error::OutputExists { path: out.clone() });
    }
    let findings_request = FindingsRequest {
        snapshot: Some(snapshot_id),
        hr: request.hr.clone(),
        hr_alias: request.hr_alias.clone(),
        dormant_days: request.dormant_days,
        baseline,
    };
    let roster = findings::read_roster(&findings_request)?;
    let rules = match &request.reviewers {
        Some(path) => {
            let bytes = read_capped(path, "reviewer rules", MAX_SHEET_BYTES)?;
            Some(Rules::read(&path.display().to_string(), &bytes).map_err(Error::Rules)?)
        }
        None => None,
    };
    let found = findings::find_with(store, &findings_request, roster.as_ref())?;
    let mut kinds: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in &found.findings {
        let of = kinds.entry(f.user_id.as_str()).or_default();
        if !of.contains(&f.kind.as_str()) {
            of.push(f.kind.as_str());
        }
    }
    let by_account: HashMap<&str, String> =
        kinds.into_iter().map(|(u, k)| (u, k.join(";"))).collect();
    let assigner = Assigner {
        roster: roster.as_ref(),
        rules: rules.as_ref(),
        default: request.default_reviewer.as_deref(),
    };
    let info = &meta.info;
    let about = vec![
        format!("slack-uar review sheet of snapshot {snapshot_id} ({})", info.label.as_deref().unwrap_or("no label")),
        format!("Slack read from {} to {} ({} plan, {} API calls)", info.started_at, meta.finished_at, meta.plan, info.api_calls),
        format!("Baseline for the change column: {}", baseline.map_or_else(|| "none".into(), |b| format!("snapshot {b}"))),
        "Fill decision with keep or revoke on every row; reviewer and comment may be edited too.".into(),
        "Every other cell is locked: it identifies the grant, and apply refuses a row whose identity was changed.".into(),
        format!("The manifest beside this file ({}) holds its SHA-256, row count and the snapshot's figures.", manifest_path(out).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()),
        format!("Written by slack-uar {}.", env!("CARGO_PKG_VERSION")),
    ];
    let job = SheetJob {
        snapshot_id,
        baseline,
        filter: request.filter,
        out,
        findings: &by_account,
        assigner: &assigner,
        about,
        format: match request.sheet_format {
            Some(f) => f,
            None if is_xlsx(out) => SheetFormat::Xlsx,
            None => SheetFormat::Csv,
        },
    };
    let (written, split_files) = if request.split_by_reviewer {
        let (w, files) = write_split(store, &job)?;
        (w, Some(files))
    } else {
        (write_sheet(store, &job)?, None)
    };
    let reviewer_facts = ReviewerFacts {
        rules_file: rules.as_ref().map(|r| r.file.clone()),
        rules_sha256: rules.as_ref().map(|r| r.sha256.clone()),
        default_reviewer: request.default_reviewer.clone(),
        unassigned_rows: written.counts.unassigned,
        self_review_avoided_rows: written.counts.self_review_avoided,
    };
    let findings_facts = FindingsFacts {
        accounts: by_account.len(),
        roster: found.roster,
        dormancy: found.dormancy,
    };
    let mut manifest = Manifest::new(
        store,
        db,
        &meta,
        baseline,
        request,
        written,
        (findings_facts, reviewer_facts),
    )?;
    manifest.files = split_files;
    let manifest_file = if request.split_by_reviewer {
        out.join("manifest.json")
    } else {
        manifest_path(out)
    };
    write_atomically(&manifest_file, |mut buf| {
        serde_json::to_writer_pretty(&mut buf, &manifest)
            .map_err(std::io::Error::other)
            .and_then(|()| buf.write_all(b"\n"))
            .map_err(|source| Error::WriteFile {
                path: manifest_file.clone(),
                source,
            })?;
        Ok((buf, ()))
    })?;
    Ok(manifest)
}

/// Where the rows of one sheet go: a CSV written as it streams, or a
/// workbook written at the end.
enum Sink<W: std::io::Write> {
    Csv(Box<csv::Writer<HashingWriter<W>>>),
    /// The workbook, and where its bytes go when it is finished.
    Xlsx(Box<XlsxSheet>, W),
}

/// Everything one sheet is written from.
struct SheetJob<'a> {
    snapshot_id: i64,
    baseline: Option<i64>,
    filter: Option<Filter>,
    out: &'a Path,
    findings: &'a HashMap<&'a str, String>,
    assigner: &'a Assigner<'a>,
    /// The workbook's "About" sheet (ignored for CSV).
    about: Vec<String>,
    format: SheetFormat,
}

/// What a sheet is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

/// Whether `out` names an Excel workbook.
pub fn is_xlsx(out: &Path) -> bool {
    out.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// How many rows a sheet (or a split campaign) holds, of how many.
#[derive(Default)]
struct Counts {
    rows: u64,
    population_rows: u64,
    unassigned: u64,
    self_review_avoided: u64,
}

/// Every row of the job's sheet, in review order, with its findings and
/// reviewer, handed to `each` if the filter keeps it.
fn each_row(
    store: &Store,
    job: &SheetJob,
    mut each: impl FnMut(&ReviewRow) -> Result<(), Error>,
) -> Result<Counts, Error> {
    let groups = store.usergroup_names(job.snapshot_id)?;
    let mut n = Counts::default();
    store.for_each_grant(job.snapshot_id, job.baseline, |detail| {
        n.population_rows += 1;
        let mut row = ReviewRow::new(job.snapshot_id, detail, job.baseline.is_some(), |id| {
            groups.get(id).cloned()
        });
        if let Some(kinds) = job.findings.get(row.account().user_id.as_str()) {
            row.findings.clone_from(kinds);
        }
        let assignment = job.assigner.assign(&row);
        if assignment.self_review_avoided {
            if !row.findings.is_empty() {
                row.findings.push(';');
            }
            row.findings.push_str("self_review_avoided");
        }
        row.reviewer = assignment.reviewer.unwrap_or_default();
        if row.kept_by(job.filter) {
            n.rows += 1;
            n.unassigned += u64::from(row.reviewer.is_empty());
            n.self_review_avoided += u64::from(assignment.self_review_avoided);
            each(&row)?;
        }
        Ok::<(), Error>(())
    })?;
    Ok(n)
}

fn write_sheet(store: &Store, job: &SheetJob) -> Result<Written, Error> {
    let out = job.out;
    let io = |source| Error::WriteFile {
        path: out.to_owned(),
        source,
    };
    let csv_err = |e: csv::Error| io(std::io::Error::other(e));
    let xlsx_err = |e: rust_xlsxwriter::XlsxError| io(std::io::Error::other(e));
    write_atomically(out, |buf| {
        let mut sink = if job.format == SheetFormat::Xlsx {
            Sink::Xlsx(Box::new(XlsxSheet::new().map_err(xlsx_err)?), buf)
        } else {
            let mut w = sheet::sheet_writer(HashingWriter::new(buf)).map_err(io)?;
            w.write_record(sheet::COLUMNS).map_err(csv_err)?;
            Sink::Csv(Box::new(w))
        };
        let n = each_row(store, job, |row| {
            match &mut sink {
                Sink::Csv(w) => sheet::sheet_row(w, &row.cells()).map_err(csv_err)?,
                Sink::Xlsx(x, _) => x.row(&row.cells()).map_err(xlsx_err)?,
            }
            Ok(())
        })?;
        let (buf, sha256) = match sink {
            Sink::Csv(w) => w.into_inner().map_err(|e| io(e.into_error()))?.finish(),
            Sink::Xlsx(x, buf) => {
                let mut about = job.about.clone();
                about.push(format!(
                    "Rows: {} of the population's {} grants.",
                    n.rows, n.population_rows
                ));
                let bytes = x.finish(&about).map_err(xlsx_err)?;
                let mut hashing = HashingWriter::new(buf);
                hashing.write_all(&bytes).map_err(io)?;
                hashing.finish()
            }
        };
        Ok((buf, Written { sha256, counts: n }))
    })
}

/// One reviewer's file of a split campaign, as the manifest lists it.
#[derive(Debug, Serialize)]
pub struct SplitFile {
    pub file: String,
    pub reviewer: Option<String>,
    pub rows: u64,
    pub sha256: String,
}

/// A file name for a reviewer's file: their email, with anything but
/// letters, digits and `@._-` made `_`; `unassigned` for rows of nobody.
fn file_stem(reviewer: &str) -> String {
    if reviewer.is_empty() {
        return "unassigned".into();
    }
    reviewer
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Write one file per reviewer into the folder `job.out`. Each reviewer's
/// rows are kept as CSV text while the population streams past (about a
/// third of the sheet's size in memory), then written to their file.
fn write_split(store: &Store, job: &SheetJob) -> Result<(Written, Vec<SplitFile>), Error> {
    let dir = job.out;
    let io = |path: &Path, e: std::io::Error| Error::WriteFile {
        path: path.to_owned(),
        source: e,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut by: BTreeMap<String, csv::Writer<Vec<u8>>> = BTreeMap::new();
    let n = each_row(store, job, |row| {
        let w = by
            .entry(row.reviewer.clone())
            .or_insert_with(|| csv::Writer::from_writer(Vec::new()));
        w.write_record(row.cells().iter().map(|c| c.as_bytes()))
            .map_err(|e| io(dir, std::io::Error::other(e)))
    })?;
    let mut files = Vec::new();
    for (reviewer, w) in by {
        let text = w.into_inner().map_err(|e| io(dir, e.into_error()))?;
        let ext = if job.format == SheetFormat::Xlsx {
            "xlsx"
        } else {
            "csv"
        };
        let path = dir.join(format!("{}.{ext}", file_stem(&reviewer)));
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_slice());
        let mut rows = 0u64;
        let err = |e: String| io(&path, std::io::Error::other(e));
        let sha256 =
            write_atomically(&path, |buf| {
                let mut hashing = HashingWriter::new(buf);
                if job.format == SheetFormat::Xlsx {
                    let mut x = XlsxSheet::new().map_err(|e| err(e.to_string()))?;
                    for r in records.records() {
                        let r = r.map_err(|e| err(e.to_string()))?;
                        x.row(&r.iter().collect::<Vec<_>>())
                            .map_err(|e| err(e.to_string()))?;
                        rows += 1;
                    }
                    let mut about = job.about.clone();
                    about.push(format!(
                    "Rows: {rows}, those of {}; the campaign's files together hold all {} grants.",
                    if reviewer.is_empty() { "no reviewer" } else { reviewer.as_str() },
                    n.population_rows
                ));
                    let bytes = x.finish(&about).map_err(|e| err(e.to_string()))?;
                    hashing.write_all(&bytes).map_err(|e| io(&path, e))?;
                } else {
                    let mut w = sheet::sheet_writer(&mut hashing).map_err(|e| io(&path, e))?;
                    w.write_record(sheet::COLUMNS)
                        .map_err(|e| err(e.to_string()))?;
                    for r in records.records() {
                        let r = r.map_err(|e| err(e.to_string()))?;
                        sheet::sheet_row(&mut w, &r.iter().collect::<Vec<_>>())
                            .map_err(|e| err(e.to_string()))?;
                        rows += 1;
                    }
                    w.flush().map_err(|e| io(&path, e))?;
                }
                let (buf, sha) = hashing.finish();
                Ok((buf, sha))
            })?;
        files.push(SplitFile {
            file: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            reviewer: (!reviewer.is_empty()).then_some(reviewer),
            rows,
            sha256,
        });
    }
    let listing: String = files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.file))
        .collect();
    Ok((
        Written {
            sha256: crate::evidence::sha256_hex(listing.as_bytes()),
            counts: n,
        },
        files,
    ))
}

impl Manifest {
    fn new(
        store: &Store,
        db: &Path,
        meta: &SnapshotMeta,
        baseline: Option<i64>,
        request: &ExportRequest,
        written: Written,
        (findings, reviewers): (FindingsFacts, ReviewerFacts),
    ) -> Result<Manifest, Error> {
        let (filter, out) = (request.filter, request.out.as_path());
        let name = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let (file, database) = (name(out), name(db));
        let Written {
            sha256,
            counts:
                Counts {
                    rows,
                    population_rows,
                    ..
                },
        } = written;
        let mut verify = BTreeMap::new();
        verify.insert(
            "integrity",
            format!("sha256sum {file}  # must print {sha256}"),
        );
        verify.insert(
            "completeness",
            format!(
                "sqlite3 {database} \"SELECT count(*) FROM access_grant WHERE snapshot_id = {}\"  # must print {population_rows}",
                meta.id()
            ),
        );
        verify.insert(
            "sync",
            format!(
                "sqlite3 {database} \"SELECT status, started_at, finished_at, plan, api_calls FROM snapshot WHERE id = {}\"",
                meta.id()
            ),
        );
        Ok(Manifest {
            manifest_version: 1,
            file,
            sha256,
            rows,
            population_rows,
            filter: filter.map(Filter::as_str),
            snapshot_id: meta.id(),
            baseline_snapshot_id: baseline,
            generated_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            tool_version: env!("CARGO_PKG_VERSION"),
            started_at: meta.info.started_at.clone(),
            finished_at: meta.finished_at.clone(),
            plan: meta.plan.to_string(),
            plan_support: Some(PlanSupport::of(meta.plan)),
            api_calls: meta.info.api_calls,
            database,
            sync: SyncFacts {
                label: meta.info.label.clone(),
                plan_evidence: meta.info.plan_evidence.clone(),
                api_url: meta.info.api_url.clone(),
                api_calls_by_method: meta.info.api_calls_by_method.clone().unwrap_or_default(),
                tool_version: meta.info.tool_version.clone(),
                workspace_source: meta.info.workspace_source.clone(),
                coverage_note: meta.info.coverage_note.clone(),
                enterprise_id: meta.info.enterprise_id.clone(),
            },
            counts: store.population_counts(meta.id())?,
            columns: sheet::COLUMNS,
            findings,
            reviewers,
            files: None,
            verify,
        })
    }
}
