//! `slack-uar export`: the review sheet and its evidence manifest. Both are
//! written to a temporary file beside the target and renamed into place, so
//! a sheet is either complete or absent, never half written.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use super::Context;
use crate::cli::{ExportArgs, OnlyArg};
use crate::error::{Error, exit};
use crate::model::Plan;
use crate::output::{self, HashingWriter, Listing, write_atomically};
use crate::plan::PlanSupport;
use crate::review::{self, Filter, ReviewRow};
use crate::store::{OpenMode, PopulationCounts, SnapshotMeta, Store};

#[derive(Serialize)]
struct SyncFacts {
    label: Option<String>,
    plan_evidence: Option<String>,
    api_url: String,
    api_calls_by_method: serde_json::Value,
    tool_version: String,
    /// Where the workspaces came from, and what the snapshot may lack.
    workspace_source: Option<String>,
    coverage_note: Option<String>,
    enterprise_id: Option<String>,
}

/// The evidence manifest: what an auditor needs to check the sheet's
/// integrity and completeness without slack-uar.
#[derive(Serialize)]
struct Manifest {
    manifest_version: u32,
    file: String,
    sha256: String,
    rows: u64,
    /// Rows of the whole population, whatever the filter.
    population_rows: u64,
    filter: Option<&'static str>,
    snapshot_id: i64,
    baseline_snapshot_id: Option<i64>,
    generated_at: String,
    tool_version: &'static str,
    started_at: String,
    finished_at: String,
    plan: String,
    /// What the plan can revoke through Slack's API and what is manual.
    plan_support: Option<PlanSupport>,
    api_calls: i64,
    database: String,
    sync: SyncFacts,
    counts: PopulationCounts,
    columns: &'static [&'static str],
    verify: BTreeMap<&'static str, String>,
}

/// `FILE.manifest.json` beside FILE.
pub fn manifest_path(out: &Path) -> PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(".manifest.json");
    PathBuf::from(p)
}

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let snapshot_id = match args.snapshot {
        Some(id) => id,
        None => store.latest_complete()?.ok_or(Error::NotEnoughSnapshots {
            command: "export",
            needed: 1,
            have: 0,
        })?,
    };
    let meta = store.complete_snapshot(snapshot_id)?;
    let baseline = match args.baseline {
        Some(b) => Some(store.complete_snapshot(b)?.id),
        None => store.complete_before(snapshot_id)?,
    };
    let filter = args.only.map(|o| match o {
        OnlyArg::Privileged => Filter::Privileged,
        OnlyArg::Guests => Filter::Guests,
        OnlyArg::Bots => Filter::Bots,
        OnlyArg::Changed => Filter::Changed,
    });
    if filter == Some(Filter::Changed) && baseline.is_none() {
        return Err(Error::ChangedNeedsBaseline {
            snapshot: snapshot_id,
        });
    }
    if args.out.exists() && !args.force {
        return Err(Error::OutputExists {
            path: args.out.clone(),
        });
    }
    let groups = store.usergroup_names(snapshot_id)?;
    let out = &args.out;
    let csv_err = |e: csv::Error| Error::WriteFile {
        path: out.clone(),
        source: std::io::Error::other(e),
    };

    let (sha256, rows, population) = write_atomically(out, |buf| {
        let mut w =
            output::sheet_writer(HashingWriter::new(buf)).map_err(|source| Error::WriteFile {
                path: out.clone(),
                source,
            })?;
        w.write_record(review::COLUMNS).map_err(csv_err)?;
        let (mut rows, mut population) = (0u64, 0u64);
        store.for_each_grant(snapshot_id, baseline, |detail| {
            population += 1;
            let row = ReviewRow::new(snapshot_id, detail, baseline.is_some(), |id| {
                groups.get(id).cloned()
            });
            if row.kept_by(filter) {
                output::sheet_row(&mut w, &row.cells()).map_err(csv_err)?;
                rows += 1;
            }
            Ok::<(), Error>(())
        })?;
        let hashing = w.into_inner().map_err(|e| Error::WriteFile {
            path: out.clone(),
            source: e.into_error(),
        })?;
        let (buf, sha256) = hashing.finish();
        Ok((buf, (sha256, rows, population)))
    })?;

    let manifest = build_manifest(
        ctx, &store, &meta, baseline, filter, out, sha256, rows, population,
    )?;
    let manifest_file = manifest_path(out);
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

    let listing = Listing {
        headers: vec!["what", "value"],
        rows: vec![
            vec!["sheet".into(), out.display().to_string()],
            vec!["manifest".into(), manifest_file.display().to_string()],
            vec!["snapshot".into(), snapshot_id.to_string()],
            vec![
                "baseline".into(),
                baseline
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "none".into()),
            ],
            vec![
                "filter".into(),
                filter.map(Filter::as_str).unwrap_or("none").into(),
            ],
            vec!["rows".into(), rows.to_string()],
            vec!["population rows".into(), population.to_string()],
            vec!["sha256".into(), manifest.sha256.clone()],
        ],
    };
    output::emit(ctx.format, &listing, &manifest).map_err(Error::Output)?;
    Ok(exit::OK)
}

#[allow(clippy::too_many_arguments)]
fn build_manifest(
    ctx: &Context,
    store: &Store,
    meta: &SnapshotMeta,
    baseline: Option<i64>,
    filter: Option<Filter>,
    out: &Path,
    sha256: String,
    rows: u64,
    population_rows: u64,
) -> Result<Manifest, Error> {
    let file = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let database = ctx
        .db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut verify = BTreeMap::new();
    verify.insert(
        "integrity",
        format!("sha256sum {file}  # must print {sha256}"),
    );
    verify.insert(
        "completeness",
        format!(
            "sqlite3 {database} \"SELECT count(*) FROM access_grant WHERE snapshot_id = {}\"  # must print {population_rows}",
            meta.id
        ),
    );
    verify.insert(
        "sync",
        format!(
            "sqlite3 {database} \"SELECT status, started_at, finished_at, plan, api_calls FROM snapshot WHERE id = {}\"",
            meta.id
        ),
    );
    Ok(Manifest {
        manifest_version: 1,
        file,
        sha256,
        rows,
        population_rows,
        filter: filter.map(Filter::as_str),
        snapshot_id: meta.id,
        baseline_snapshot_id: baseline,
        generated_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        tool_version: env!("CARGO_PKG_VERSION"),
        started_at: meta.started_at.clone(),
        finished_at: meta.finished_at.clone(),
        plan: meta.plan.clone(),
        plan_support: meta.plan.parse::<Plan>().ok().map(PlanSupport::of),
        api_calls: meta.api_calls,
        database,
        sync: SyncFacts {
            label: meta.label.clone(),
            plan_evidence: meta.plan_evidence.clone(),
            api_url: meta.api_url.clone(),
            api_calls_by_method: meta
                .api_calls_by_method
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default(),
            tool_version: meta.tool_version.clone(),
            workspace_source: meta.workspace_source.clone(),
            coverage_note: meta.coverage_note.clone(),
            enterprise_id: meta.enterprise_id.clone(),
        },
        counts: store.population_counts(meta.id)?,
        columns: review::COLUMNS,
        verify,
    })
}
