//! The evidence an auditor opens: the HTML report, its every figure read
//! back and checked against the database; the evidence bundle, signed, and
//! each kind of tampering with it found by `verify`.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Run, Sandbox, TestEnv, filled_rows, sample_data};

/// Grants revoked in the review: two leavers' memberships and a user group.
const REVOKE: &[(&str, &str)] = &[
    ("ivan.petrov", "workspace:T04KSTRL9:member"),
    ("victor.hale", "workspace:T04KSTRL9:member"),
    ("rosa.quint", "usergroup:S04KONCAL:member"),
];

/// A whole Kestrel quarter: Q3 and Q4 synced, Q4 exported with the HR
/// roster, reviewed and applied.
struct Review {
    env: TestEnv,
    sandbox: Sandbox,
    export: PathBuf,
    reviewed: PathBuf,
    hr: PathBuf,
}

impl Review {
    fn run() -> Review {
        let env = TestEnv::new();
        let q3 = Sandbox::with_data(&sample_data("kestrel-q3"));
        Run::of(env.slack(&q3, &["sync", "--label", "q3"])).ok();
        drop(q3);
        let sandbox = Sandbox::with_data(&sample_data("kestrel-q4"));
        Run::of(env.slack(&sandbox, &["sync", "--label", "q4"])).ok();
        let hr = sample_data("kestrel-q4").join("hr.csv");
        let export = env.dir.path().join("q4.csv");
        Run::of(env.cmd(&[
            "export",
            "--out",
            export.to_str().unwrap(),
            "--hr",
            hr.to_str().unwrap(),
        ]))
        .ok();
        let reviewed = env.dir.path().join("reviewed.csv");
        let mut w = csv::Writer::from_path(&reviewed).unwrap();
        for row in filled_rows(&export, REVOKE) {
            w.write_record(&row).unwrap();
        }
        w.flush().unwrap();
        Run::of(env.slack(
            &sandbox,
            &["apply", reviewed.to_str().unwrap(), "--execute"],
        ))
        .ok()
        .stderr_has("apply finished: 3 done");
        Review {
            env,
            sandbox,
            export,
            reviewed,
            hr,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.env.dir.path().join(name)
    }

    fn s(p: &Path) -> &str {
        p.to_str().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        Run::of(self.env.cmd(&all)).ok().json()
    }

    /// `evidence` of this review into `out`, signed with `key` if given.
    fn evidence(&self, out: &Path, key: Option<&Path>) -> Run {
        let manifest = format!("{}.manifest.json", self.export.display());
        let mut args = vec![
            "evidence",
            "--format",
            "table",
            &manifest,
            "--out",
            Self::s(out),
            "--sheets",
            Self::s(&self.reviewed),
            "--hr",
            Self::s(&self.hr),
        ];
        if let Some(k) = key {
            args.extend(["--sign", Self::s(k)]);
        }
        Run::of(self.env.cmd(&args))
    }

    fn verify(&self, bundle: &Path, key: Option<&Path>) -> (i32, Value) {
        let mut args = vec!["verify", Self::s(bundle), "--format", "json"];
        if let Some(k) = key {
            args.extend(["--key", Self::s(k)]);
        }
        let run = Run::of(self.env.cmd(&args));
        (run.code, run.json())
    }

    fn keygen(&self, name: &str) -> (PathBuf, PathBuf) {
        let key = self.path(name);
        Run::of(self.env.cmd(&["keygen", "--out", Self::s(&key)])).ok();
        let public = self.path(&format!("{name}.pub"));
        (key, public)
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every `data-key` figure of the page, as text.
fn figures(html: &scraper::Html) -> BTreeMap<String, String> {
    let sel = scraper::Selector::parse("[data-key]").unwrap();
    html.select(&sel)
        .map(|e| {
            (
                e.value().attr("data-key").unwrap().to_owned(),
                e.text().collect::<String>().trim().to_owned(),
            )
        })
        .collect()
}

fn count(html: &scraper::Html, selector: &str) -> usize {
    html.select(&scraper::Selector::parse(selector).unwrap())
        .count()
}

#[test]
fn every_figure_of_the_report_is_the_databases() {
    let r = Review::run();
    let out = r.path("review.html");
    Run::of(r.env.cmd(&[
        "report",
        "--out",
        Review::s(&out),
        "--sheets",
        Review::s(&r.reviewed),
        "--hr",
        Review::s(&r.hr),
    ]))
    .ok()
    .stdout_has("snapshot 2");
    assert_eq!(mode(&out), 0o600, "the report names people");
    let text = std::fs::read_to_string(&out).unwrap();
    let page = scraper::Html::parse_document(&text);
    assert!(page.errors.is_empty(), "{:?}", page.errors);

    // Self-contained: no script, nothing fetched, a print layout, charts.
    assert_eq!(count(&page, "script"), 0);
    for attr in ["src", "href"] {
        let sel = format!("[{attr}]");
        for e in page.select(&scraper::Selector::parse(&sel).unwrap()) {
            let v = e.value().attr(attr).unwrap();
            assert!(v.starts_with('#'), "{attr}={v} reaches outside the page");
        }
    }
    assert!(text.contains("@media print"));
    assert_eq!(
        count(&page, "svg.chart"),
        3,
        "population, findings, decisions"
    );

    // The figures, each computed here from the database or the CLI.
    let db = r.env.db();
    let q = |sql: &str| -> Vec<(String, i64)> {
        let mut stmt = db.prepare(sql).unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let one = |sql: &str| r.env.query_i64(sql).to_string();
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    expected.insert(
        "accounts".into(),
        one("SELECT count(*) FROM snapshot_user WHERE snapshot_id = 2"),
    );
    expected.insert(
        "grants".into(),
        one("SELECT count(*) FROM access_grant WHERE snapshot_id = 2"),
    );
    expected.insert(
        "privileged".into(),
        one("SELECT count(*) FROM snapshot_grants WHERE snapshot_id = 2 AND privileged = 1"),
    );
    expected.insert(
        "api_calls".into(),
        one("SELECT api_calls FROM snapshot WHERE id = 2"),
    );
    expected.insert("baseline".into(), "1".into());
    expected.insert(
        "revocations_done".into(),
        one("SELECT count(*) FROM revocation WHERE snapshot_id = 2 AND status = 'done'"),
    );
    for (key, n) in q(
        "SELECT coalesce(g.workspace_id, '') || '|' || u.account_type,
                              count(DISTINCT g.user_id)
                       FROM access_grant g JOIN snapshot_users u
                         ON u.snapshot_id = g.snapshot_id AND u.user_id = g.user_id
                       WHERE g.snapshot_id = 2 GROUP BY 1",
    ) {
        expected.insert(format!("workspace_accounts|{key}"), n.to_string());
    }
    for (key, n) in q(
        "SELECT account_type || CASE account_status WHEN 'deactivated'
                                THEN ' (deactivated)' ELSE '' END, count(*)
                       FROM snapshot_users WHERE snapshot_id = 2 GROUP BY 1",
    ) {
        expected.insert(format!("accounts_by_type|{key}"), n.to_string());
    }
    let mut tally = |prefix: &str, items: &Value, field: &str| {
        for item in items.as_array().unwrap() {
            let k = format!("{prefix}|{}", item[field].as_str().unwrap());
            let n: u64 = expected.get(&k).map_or(0, |v| v.parse().unwrap());
            expected.insert(k, (n + 1).to_string());
        }
    };
    tally(
        "changes",
        &r.json(&["diff", "1", "2"])["changes"],
        "category",
    );
    let found = r.json(&["findings", "--hr", Review::s(&r.hr)]);
    tally("findings", &found["findings"], "kind");
    expected.insert(
        "findings".into(),
        found["findings"].as_array().unwrap().len().to_string(),
    );
    let status = r.json(&["status", Review::s(&r.reviewed)]);
    for p in status["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&status["total"]])
    {
        let who = p["reviewer"].as_str().unwrap();
        let n = |f: &str| p[f].as_u64().unwrap();
        for (what, v) in [
            ("assigned", n("assigned")),
            ("keep", n("decided") - n("revoke")),
            ("revoke", n("revoke")),
            ("undecided", n("undecided")),
        ] {
            expected.insert(format!("campaign|{who}|{what}"), v.to_string());
        }
    }
    assert_eq!(figures(&page), expected);
    assert!(expected["findings|leaver"] != "0" && expected["revocations_done"] == "3");

    // Each privileged grant and each revocation is a row.
    assert_eq!(
        count(&page, "tr[data-row=privileged]").to_string(),
        expected["privileged"]
    );
    assert_eq!(count(&page, "tr[data-row=revocation][data-status=done]"), 3);
    assert_eq!(
        count(&page, "tr[data-row=revocation][data-verified=true]"),
        3
    );
    // And the sheet's hash, as sha256sum would print it.
    let sha = sha256(&std::fs::read(&r.reviewed).unwrap());
    assert!(
        text.contains(&sha),
        "the reviewed sheet's SHA-256 is listed"
    );

    // A name with markup is text, not markup.
    r.env
        .db()
        .execute(
            "UPDATE user_record SET real_name = '<script>alert(1)</script>'
             WHERE is_primary_owner = 1",
            [],
        )
        .unwrap();
    Run::of(r.env.cmd(&["report", "--out", Review::s(&out)])).ok();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!text.contains("<script"), "nothing unescaped");
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Chromium renders the page and prints it to PDF, as a manager's browser
/// would. Skipped, saying why, where Chromium is not installed.
#[test]
fn the_report_opens_and_prints_in_a_real_browser() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("skipped: no Chromium on this machine (apt-get install chromium)");
        return;
    };
    let r = Review::run();
    let out = r.path("review.html");
    Run::of(r.env.cmd(&["report", "--out", Review::s(&out)])).ok();
    let profile = tempfile::tempdir().unwrap();
    let browser = |extra: &[String]| {
        let mut cmd = std::process::Command::new(chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", out.display()));
        cmd.output().unwrap()
    };
    let dom = browser(&["--dump-dom".into()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    for section in [
        "population",
        "privileged",
        "changes",
        "findings",
        "remediation",
        "files",
    ] {
        assert!(
            dom.contains(&format!("id=\"{section}\"")),
            "{section}: {dom}"
        );
    }
    let pdf = r.path("review.pdf");
    browser(&[
        format!("--print-to-pdf={}", pdf.display()),
        "--no-pdf-header-footer".into(),
    ]);
    let bytes = std::fs::read(&pdf).expect("Chromium printed the report");
    assert!(bytes.starts_with(b"%PDF"));
    // The print stylesheet starts each section on a page of its own.
    let pages = bytes.windows(10).filter(|w| w == b"/Type /Pag").count()
        + bytes.windows(9).filter(|w| w == b"/Type/Pag").count();
    assert!(pages >= 6, "{pages} pages");
}

/// The members of a zip, rewritten by `edit` (None: left out).
fn rewrite_zip(path: &Path, edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) {
    let bytes = std::fs::read(path).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if let Some(data) = edit(&name, data) {
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(&data).unwrap();
        }
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

/// A forger's edit: `member` changed by `change`, and index.json and
/// SHA256SUMS brought into line with it.
fn forge(path: &Path, member: &str, change: impl Fn(Vec<u8>) -> Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut contents: HashMap<String, Vec<u8>> = HashMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        contents.insert(f.name().unwrap().into_owned(), data);
    }
    let folder = path.file_stem().unwrap().to_str().unwrap();
    let changed = change(contents[&format!("{folder}/{member}")].clone());
    let mut index: Value =
        serde_json::from_slice(&contents[&format!("{folder}/index.json")]).unwrap();
    let mut sums = String::new();
    for m in index["members"].as_array_mut().unwrap() {
        if m["path"] == member {
            m["sha256"] = Value::String(sha256(&changed));
            m["bytes"] = Value::from(changed.len());
        }
        sums.push_str(&format!(
            "{}  {}\n",
            m["sha256"].as_str().unwrap(),
            m["path"].as_str().unwrap()
        ));
    }
    let index = serde_json::to_vec_pretty(&index).unwrap();
    rewrite_zip(path, |name, data| {
        Some(match name.strip_prefix(&format!("{folder}/")).unwrap() {
            m if m == member => changed.clone(),
            "index.json" => index.clone(),
            "SHA256SUMS" => sums.clone().into_bytes(),
            _ => data,
        })
    });
}

fn has(found: &Value, needle: &str) -> bool {
    found["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d.as_str().unwrap().contains(needle))
}

#[test]
fn a_signed_bundle_holds_and_each_tampering_is_found() {
    let r = Review::run();
    let (key, public) = r.keygen("signing.key");
    assert_eq!(mode(&key), 0o600);
    let bundle = r.path("q4-evidence.zip");
    r.evidence(&bundle, Some(&key))
        .ok()
        .stdout_has("everything holds for snapshot 2");
    assert_eq!(mode(&bundle), 0o600, "the bundle names people");
    let signature = r.path("q4-evidence.zip.minisig");
    assert!(signature.is_file());
    let pristine = std::fs::read(&bundle).unwrap();

    let (code, found) = r.verify(&bundle, Some(&public));
    assert_eq!(code, 0, "{found}");
    assert!(found["notes"].to_string().contains("signature"), "{found}");
    for member in [
        "export/q4.csv",
        "export/q4.csv.manifest.json",
        "reviewed/reviewed.csv",
        "remediation/reviewed-remediation.csv",
        "report.html",
        "hr/hr.csv",
        "data/users.csv",
        "data/grants.csv",
        "data/workspaces.csv",
        "data/groups.csv",
        "data/revocations.csv",
    ] {
        assert!(
            found["files"].to_string().contains(member),
            "{member}: {found}"
        );
    }
    // An auditor without slack-uar's database: the bundle stands alone.
    let run = Run::of(r.env.cmd(&[
        "verify",
        Review::s(&bundle),
        "--db",
        Review::s(&r.path("none.db")),
        "--format",
        "json",
    ]))
    .ok();
    assert!(run.stdout.contains("checked against the bundle alone"));

    // A tampered sheet: one byte of the reviewed file.
    rewrite_zip(&bundle, |name, data| {
        Some(if name.ends_with("reviewed/reviewed.csv") {
            String::from_utf8(data)
                .unwrap()
                .replacen(",keep,", ",revoke,", 1)
                .into_bytes()
        } else {
            data
        })
    });
    let (code, found) = r.verify(&bundle, Some(&public));
    assert_eq!(code, 1);
    assert!(has(&found, "reviewed/reviewed.csv has changed"), "{found}");
    assert!(has(&found, "does not hold for this bundle"), "{found}");

    // A deleted row, the index and sums forged to match.
    std::fs::write(&bundle, &pristine).unwrap();
    forge(&bundle, "export/q4.csv", |data| {
        let text = String::from_utf8(data).unwrap();
        let lines: Vec<&str> = text.split_inclusive("\r\n").collect();
        lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 7)
            .map(|(_, l)| *l)
            .collect::<String>()
            .into_bytes()
    });
    let (code, found) = r.verify(&bundle, None);
    assert_eq!(code, 1);
    assert!(
        !has(&found, "has changed: its SHA-256"),
        "the index was forged: {found}"
    );
    assert!(
        has(&found, "export/q4.csv has changed since export"),
        "{found}"
    );
    assert!(has(&found, "the population is not complete"), "{found}");

    // A remediation report swapped for one that says otherwise.
    std::fs::write(&bundle, &pristine).unwrap();
    forge(&bundle, "remediation/reviewed-remediation.csv", |data| {
        let text = String::from_utf8(data).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[1] = lines[1].replacen(",done,", ",already_revoked,", 1);
        lines.join("\r\n").into_bytes()
    });
    let (code, found) = r.verify(&bundle, None);
    assert_eq!(code, 1);
    assert!(has(&found, "says already_revoked"), "{found}");

    // And with the journal forged too, the database still knows.
    std::fs::write(&bundle, &pristine).unwrap();
    forge(&bundle, "data/revocations.csv", |data| {
        String::from_utf8(data)
            .unwrap()
            .replace(",done,", ",already_revoked,")
            .into_bytes()
    });
    forge(&bundle, "remediation/reviewed-remediation.csv", |data| {
        String::from_utf8(data)
            .unwrap()
            .replace(",done,", ",already_revoked,")
            .into_bytes()
    });
    let (code, found) = r.verify(&bundle, None);
    assert_eq!(code, 1);
    assert!(
        has(
            &found,
            "data/revocations.csv differs from snapshot 2 in the database"
        ),
        "{found}"
    );

    // A wrong signature: another key, or another bundle's signature.
    std::fs::write(&bundle, &pristine).unwrap();
    let (_, other_public) = r.keygen("other.key");
    let (code, found) = r.verify(&bundle, Some(&other_public));
    assert_eq!(code, 1);
    assert!(has(&found, "does not hold"), "{found}");
    let second = r.path("second.zip");
    r.evidence(&second, Some(&key)).ok();
    std::fs::copy(r.path("second.zip.minisig"), &signature).unwrap();
    let (code, found) = r.verify(&bundle, Some(&public));
    assert_eq!(code, 1);
    assert!(has(&found, "does not hold"), "{found}");
    std::fs::remove_file(&signature).unwrap();
    let (code, found) = r.verify(&bundle, Some(&public));
    assert_eq!(code, 1);
    assert!(has(&found, "the bundle is not signed"), "{found}");
}

#[test]
fn a_tar_gz_bundle_holds_and_minisign_accepts_its_signature() {
    let r = Review::run();
    let (key, public) = r.keygen("k");
    let bundle = r.path("q4.tar.gz");
    r.evidence(&bundle, Some(&key)).ok();
    assert_eq!(r.verify(&bundle, Some(&public)).0, 0);

    // Refused over an existing bundle without --force.
    r.evidence(&bundle, None)
        .fails(2)
        .stderr_has("pass --force to overwrite it");

    // minisign itself, where installed, accepts the signature.
    match std::process::Command::new("minisign")
        .args(["-Vm", Review::s(&bundle), "-p", Review::s(&public)])
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!("skipped minisign's check: minisign is not installed"),
    }
    let _ = &r.sandbox;
}

#[test]
fn keys_and_bundles_refuse_what_they_cannot_use() {
    let r = Review::run();
    // An encrypted key needs its password, from the environment only.
    let key = r.path("locked.key");
    let mut cmd = r.env.cmd(&["keygen", "--out", Review::s(&key)]);
    cmd.env("SLACK_UAR_KEY_PASSWORD", "correct horse");
    Run::of(cmd).ok();
    let bundle = r.path("b.zip");
    r.evidence(&bundle, Some(&key))
        .fails(2)
        .stderr_has("it is encrypted; put its password in SLACK_UAR_KEY_PASSWORD");
    assert!(
        !bundle.exists(),
        "nothing is written when the key cannot sign"
    );

    // Not a key at all.
    let not_key = r.path("not.key");
    std::fs::write(&not_key, "hello\n").unwrap();
    r.evidence(&r.path("c.zip"), Some(&not_key))
        .fails(2)
        .stderr_has("is not a usable minisign secret key");

    // Reviewed files of another snapshot than the export's.
    let q3 = r.path("q3.csv");
    Run::of(r.env.cmd(&["export", "1", "--out", Review::s(&q3)])).ok();
    let manifest = format!("{}.manifest.json", r.export.display());
    Run::of(r.env.cmd(&[
        "evidence",
        &manifest,
        "--out",
        "mixed.zip",
        "--sheets",
        Review::s(&q3),
    ]))
    .fails(2)
    .stderr_has("the sheets given are of snapshot 1, not of snapshot 2");
    assert!(!r.path("mixed.zip").exists());

    // A name that is neither zip nor tar.gz.
    Run::of(
        r.env
            .cmd(&["evidence", "x.manifest.json", "--out", "x.rar"]),
    )
    .fails(2)
    .stderr_has("neither .zip nor .tar.gz");
    // --key belongs to bundles.
    Run::of(r.env.cmd(&["verify", &manifest, "--key", "RWQ"]))
        .fails(2)
        .stderr_has("leave --key out to verify a manifest");
    // Garbage that claims to be a bundle.
    let fake = r.path("fake.zip");
    std::fs::write(&fake, "PK\x03\x04 not really").unwrap();
    Run::of(r.env.cmd(&["verify", Review::s(&fake)]))
        .fails(2)
        .stderr_has("not a readable zip file");
}
