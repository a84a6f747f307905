//! The command line: `aiwei serve | migrate | user | department | token |
//! demo | import ledger | audit verify | config show`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use aiwei_core::time::local_minute;
use aiwei_core::{AuditAction, DepartmentCode, Role, Username};
use aiwei_server::auth::{MIN_PASSWORD, hash_password, new_api_token};
use aiwei_server::{Application, Clock, app_state};
use aiwei_store::trail::AuditActor;
use aiwei_store::users::NewUser;
use aiwei_store::{Keys, Store};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::config::{Overrides, Settings};
use crate::demo::{self, DemoOptions};

#[derive(Parser)]
#[command(name = "aiwei", version, about = "Aiwei Desk — 爱卫来电来访管理系统")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Data directory (SQLite database, key file).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Configuration file (default: ./aiwei.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Listen address, e.g. 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<String>,
        /// Load the demo organisation first when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage departments.
    Department {
        #[command(subcommand)]
        command: DepartmentCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Fill an empty database with a demo organisation and matters.
    Demo {
        /// How many matters in all. Up to `--flows` of them go through the
        /// real flows over the last `--days`; the rest are copies of the
        /// closed ones spread over the `--years` before (the city-scale data
        /// set, docs/BENCHMARKS.md).
        #[arg(long, default_value_t = 3000)]
        matters: u64,
        #[arg(long, default_value_t = 120)]
        days: u32,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value_t = 3000)]
        flows: u32,
        #[arg(long, default_value_t = 3)]
        years: u32,
    },
    /// Bring in an office's old ledger (台账).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Verify the ledger and the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The Chinese working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// The key ring sealing callers' personal data.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The full-text index.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Suggestions of sub-category and lead department learned from the
    /// office's history.
    Suggest {
        #[command(subcommand)]
        command: SuggestCommand,
    },
    /// Show configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// An Excel workbook (.xlsx): the first row names the columns (as the
    /// desk exports them, or as `--mapping` says), then one matter per row.
    /// Rows already brought in are left alone. Exits with 1 when any row is
    /// refused (the rows that pass are still written, unless `--dry-run`),
    /// with 2 when the whole file is refused.
    Ledger {
        file: PathBuf,
        /// Check every row and list the refusals; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A TOML file mapping columns (their header or code) to this file's
        /// headers, e.g. `[columns]` then `"受理时间" = "来电日期"` or
        /// `received_at = "来电日期"`.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// The account the matters are recorded under (default: the first
        /// active administrator).
        #[arg(long = "as", value_name = "USERNAME")]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
enum SuggestCommand {
    /// Train both models from the newest history and store them; running
    /// servers pick them up at their next suggestion.
    Train,
    /// Train on all but the newest tenth of history and report top-1 and
    /// top-3 accuracy on that tenth; also how often staff took the
    /// suggestions shown at intake. Stores nothing.
    Evaluate,
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild the index of every matter, a batch per transaction; safe
    /// while the server runs, and resumes where an interrupted run stopped.
    Reindex {
        /// Matters per batch.
        #[arg(long, default_value_t = 500)]
        batch: u32,
        /// Start from the first matter again.
        #[arg(long)]
        restart: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        username: String,
        /// Role code (repeatable): intake, handler, dept_lead, leading_group,
        /// supervisor, auditor, admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Department code (repeatable).
        #[arg(long = "department")]
        departments: Vec<String>,
        /// Display name (default: the user name).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (required, so it never
        /// appears in the process list or shell history).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
}

#[derive(Subcommand)]
enum DepartmentCommand {
    /// Create a department.
    Add { code: String, name: String },
    /// List departments.
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for USER and print it (shown once).
    Create {
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Days it stays valid (default: `token_days`, 365).
        #[arg(long)]
        days: Option<i64>,
    },
    /// List tokens (of USER, or everyone's): id, owner, label, expiry, state.
    List { username: Option<String> },
    /// Revoke the token with this id; its next request is refused.
    Revoke { id: uuid::Uuid },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every matter's event chain and the audit trail's chain,
    /// and check the tallies (the ledger's totals, the clocks ended per
    /// day) against the matters and clocks.
    Verify,
    /// Rebuild the tallies from the matters and clocks, when `verify`
    /// finds them wrong.
    RebuildTally,
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Load a year of holiday data (holiday-cn JSON), replacing an earlier load.
    Load { file: PathBuf },
    /// Print the date N working days after DATE (N = 0: DATE if it is a
    /// working day, else the next working day).
    AddWorkingDays { date: chrono::NaiveDate, n: u32 },
    /// Print `true` or `false`.
    IsWorkingDay { date: chrono::NaiveDate },
    /// List the years with holiday data.
    Show,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new current key, then re-seal every caller under it.
    Rotate {
        /// Matters re-sealed per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
    /// Finish an interrupted rotation: re-seal what is not yet under the
    /// current key.
    Resume {
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
    /// The keys and how many matters each still seals.
    Status,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration, secrets redacted.
    Show,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        config_file: cli.global.config.clone(),
        data_dir: cli.global.data_dir.clone(),
        database_url: cli.global.database_url.clone(),
        bind: match &cli.command {
            Command::Serve { bind, .. } => bind.clone(),
            _ => None,
        },
    };
    let settings = match Settings::load(&overrides, |k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("aiwei: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("aiwei: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("aiwei: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Opens the store and brings its schema up to date.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let keys = Keys::load_or_create(&settings.key_path()).context("loading the key file")?;
    let url = settings.database()?;
    let store = Store::connect(&url, keys)
        .await
        .with_context(|| format!("opening database {}", url.redacted()))?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            print!("{}", settings.show()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            open_store(&settings).await?;
            println!("数据库已是最新结构 (database is up to date)");
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { demo, .. } => serve(settings, demo).await,
        Command::Calendar { command } => calendar(settings, command).await,
        Command::Keys { command } => keys(settings, command).await,
        Command::Search {
            command: SearchCommand::Reindex { batch, restart },
        } => {
            let store = open_store(&settings).await?;
            let mut total = 0usize;
            let mut first = restart;
            loop {
                let n = store.reindex_search(i64::from(batch), first).await?;
                first = false;
                if n == 0 {
                    break;
                }
                total += n;
                eprintln!("… {total}");
            }
            println!("检索索引已重建：{total} 件事项 (search index rebuilt: {total} matters)");
            Ok(ExitCode::SUCCESS)
        }
        Command::Suggest { command } => suggest(settings, command).await,
        Command::Import {
            command:
                ImportCommand::Ledger {
                    file,
                    dry_run,
                    mapping,
                    user,
                },
        } => import_ledger(settings, &file, dry_run, mapping.as_deref(), user).await,
        Command::User { command } => user(settings, command).await,
        Command::Department { command } => department(settings, command).await,
        Command::Token { command } => token(settings, command).await,
        Command::Demo {
            matters,
            days,
            seed,
            flows,
            years,
        } => {
            let store = open_store(&settings).await?;
            let flows = u32::try_from(matters).unwrap_or(u32::MAX).min(flows);
            let opts = DemoOptions {
                matters: flows,
                days,
                seed,
                history: matters - u64::from(flows),
                years,
                prefix: settings.number_prefix.clone(),
            };
            load_demo(&store, &opts).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::RebuildTally,
        } => {
            let store = open_store(&settings).await?;
            store.rebuild_tally().await?;
            println!("tally rebuilt; drift now: {}", store.tally_drift().await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            // Verification changes nothing: no migration, no key file, a
            // read-only connection.
            let keys = Keys::load_if_present(&settings.key_path())?;
            let url = settings.database()?;
            let store = Store::connect_read_only(&url, keys)
                .await
                .with_context(|| format!("opening database {}", url.redacted()))?;
            let report = store.verify_chains().await?;
            let drift = store.tally_drift().await?;
            let (head_seq, head_hash) = &report.audit_head;
            if drift == 0 {
                println!("tally: ok");
            } else {
                println!(
                    "TALLY: {drift} combinations differ from the matters and clocks; \
                     `aiwei audit rebuild-tally` rebuilds them"
                );
            }
            if report.ok() {
                println!(
                    "ok: {} matters, {} events, {} audit records verified",
                    report.matters, report.events, report.audit_records
                );
                println!("audit trail head: #{head_seq} {head_hash}");
                Ok(if drift == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            } else {
                for b in &report.broken {
                    println!("BROKEN {}: {}", b.number, b.reason);
                }
                println!(
                    "FAILED: {} of {} matters have a broken chain, audit trail breaks: {} \
                     ({} events, {} audit records checked)",
                    report.broken_matters(),
                    report.matters,
                    report.audit_breaks(),
                    report.events,
                    report.audit_records
                );
                Ok(ExitCode::from(1))
            }
        }
    }
}

async fn keys(settings: Settings, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings).await?;
    let batch = match command {
        KeysCommand::Status => {
            let current = store.keys().current_id()?;
            println!("当前密钥 (current key): {current}");
            println!(
                "{:<10} {:<16} 敏感事项办理文字数 (sealed texts)",
                "密钥 (key)", "事项数 (matters)"
            );
            for u in store.key_usage().await? {
                println!(
                    "{:<10} {:<16} {}",
                    u.key.as_deref().unwrap_or("-"),
                    u.matters,
                    u.texts
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        KeysCommand::Rotate { batch } => {
            let id = store.keys().add_key()?;
            println!("已添加新密钥 {id}；正在重新加密… (new key {id} added; re-sealing)");
            batch
        }
        KeysCommand::Resume { batch } => batch,
    };
    let total = store
        .reseal_all(batch.clamp(1, 10_000), false, |n| {
            eprintln!("… {n}");
        })
        .await?;
    let current = store.keys().current_id()?;
    let by = aiwei_store::trail::AuditActor::cli();
    store
        .audit(
            &by.entry(
                AuditAction::KeysRotate,
                Some(&current),
                serde_json::json!({ "resealed": total }),
            ),
            store.clock().now(),
        )
        .await?;
    println!(
        "完成：{total} 条事项已用密钥 {} 重新加密 (done: {total} matters re-sealed). \
         运行中的服务会在 30 秒内载入新密钥；之后请再运行一次 `aiwei keys resume`。",
        current
    );
    Ok(ExitCode::SUCCESS)
}

async fn load_demo(store: &Store, opts: &DemoOptions) -> anyhow::Result<()> {
    eprintln!(
        "正在生成演示数据（{} 条事项，另有历史事项 {} 条）…",
        opts.matters, opts.history
    );
    let report = demo::seed(store, opts, &hash_password, store.clock().now()).await?;
    if let Some(h) = report.history {
        eprintln!(
            "历史事项已生成：{} 条（由 {} 条已办结事项复制），用时 {:.0} 秒",
            h.copies, h.templates, h.seconds
        );
    }
    println!(
        "演示数据已生成：{} 个部门，{} 条事项。以下账号密码只显示这一次：",
        report.departments,
        u64::from(report.matters) + report.history.map_or(0, |h| h.copies)
    );
    println!("{:<12} {:<8} {:<16} 角色", "用户名", "姓名", "密码");
    for a in &report.accounts {
        let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
        println!(
            "{:<12} {:<8} {:<16} {}",
            a.username,
            a.display_name,
            a.password,
            roles.join(",")
        );
    }
    Ok(())
}

async fn suggest(settings: Settings, command: SuggestCommand) -> anyhow::Result<ExitCode> {
    use aiwei_server::services::suggest as s;
    let store = open_store(&settings).await?;
    let api = |e: aiwei_server::error::ApiError| anyhow::anyhow!("{}", e.message());
    match command {
        SuggestCommand::Train => {
            let (c, d) = s::train(&store, store.clock().now()).await.map_err(api)?;
            println!(
                "建议模型已训练：子类别 {c} 件，主办部门 {d} 件 \
                 (models trained on {c} classified and {d} dispatched matters)"
            );
        }
        SuggestCommand::Evaluate => {
            let results = s::evaluate_history(&store).await.map_err(api)?;
            println!("target           trained  tested   top-1    top-3");
            for (target, e) in results {
                let name = match target {
                    aiwei_store::suggest::Target::Category => "sub-category",
                    aiwei_store::suggest::Target::Department => "lead department",
                };
                println!(
                    "{name:<16} {:>7} {:>7} {:>7.1}% {:>7.1}%",
                    e.trained,
                    e.tested,
                    e.top1_rate() * 100.0,
                    e.top3_rate() * 100.0
                );
            }
            let outcomes = store.suggestion_outcomes(s::HISTORY).await?;
            let taken = |pairs: Vec<(Option<String>, Option<String>)>| {
                let shown: Vec<_> = pairs.into_iter().filter(|(s, _)| s.is_some()).collect();
                let hit = shown.iter().filter(|(s, c)| s == c).count();
                (shown.len(), hit)
            };
            let (cs, ch) = taken(
                outcomes
                    .iter()
                    .map(|o| (o.suggested_category.clone(), o.category.clone()))
                    .collect(),
            );
            let (ds, dh) = taken(
                outcomes
                    .iter()
                    .map(|o| (o.suggested_department.clone(), o.lead_department.clone()))
                    .collect(),
            );
            println!(
                "at intake: sub-category suggested {cs} times, kept {ch}; \
                 lead department suggested {ds} times, chosen {dh}"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings).await?;
    if demo {
        let (existing, _) = store
            .ledger(
                &Default::default(),
                &aiwei_core::access::EVERYTHING,
                None,
                1,
            )
            .await?;
        if existing.is_empty() && store.list_users().await?.is_empty() {
            let opts = DemoOptions {
                prefix: settings.number_prefix.clone(),
                ..DemoOptions::default()
            };
            load_demo(&store, &opts).await?;
        } else {
            eprintln!("数据库已有数据，跳过演示数据 (database not empty; --demo ignored)");
        }
    }
    let state = app_state(store.clone(), settings.app_config()?, Clock::system())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (stop_out_tx, stop_out_rx) = tokio::sync::oneshot::channel::<()>();
    let sweeper = tokio::spawn(aiwei_server::run_sweeper(
        state.clone(),
        std::time::Duration::from_secs(30),
        async move {
            let _ = stop_rx.await;
        },
    ));
    // 第一时间: the outbox is looked at every two seconds.
    let outbox = tokio::spawn(aiwei_server::services::outbound::run(
        state.clone(),
        std::time::Duration::from_secs(2),
        async move {
            let _ = stop_out_rx.await;
        },
    ));
    let indexer = tokio::spawn(aiwei_server::finish_search_index(store.clone()));
    // Suggestions follow the office's history: retrained daily.
    let trainer = tokio::spawn(aiwei_server::services::suggest::run_trainer(
        state.clone(),
        std::time::Duration::from_secs(24 * 3600),
    ));
    let app = Application::build(state, settings.bind_addr()?).await?;
    let addr = app.local_addr()?;
    tracing::info!(%addr, backend = %store.backend(), "aiwei serving");
    println!("Aiwei Desk 已启动：http://{addr}");
    app.run_until(shutdown_signal()).await?;
    let _ = stop_tx.send(());
    let _ = stop_out_tx.send(());
    let _ = sweeper.await;
    let _ = outbox.await;
    // An unfinished rebuild resumes at the next start.
    indexer.abort();
    trainer.abort();
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings).await?;
    match command {
        UserCommand::Add {
            username,
            roles,
            departments,
            name,
            password_stdin: _,
        } => {
            let username = Username::parse(&username)?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r))
                .collect::<Result<Vec<_>, _>>()?;
            let departments = departments
                .iter()
                .map(|d| DepartmentCode::parse(d))
                .collect::<Result<Vec<_>, _>>()?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if let Err(e) = aiwei_core::password::check("password", password, username.as_str()) {
                bail!(
                    "the password is refused: {} (at least {MIN_PASSWORD} characters, letters \
                     and digits or signs, not the user name, not a common password)",
                    e.code
                );
            }
            let new = NewUser {
                display_name: name.unwrap_or_else(|| username.to_string()),
                username,
                password_hash: hash_password(password)?,
                roles,
                departments,
            };
            let u = store
                .add_user_audited(&new, &AuditActor::cli(), store.clock().now())
                .await?;
            println!("created user {} ({})", u.username, u.id);
        }
        UserCommand::List => {
            for u in store.list_users().await? {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.username,
                    u.display_name,
                    roles.join(","),
                    u.departments.join(","),
                    if u.active { "active" } else { "disabled" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn department(settings: Settings, command: DepartmentCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings).await?;
    match command {
        DepartmentCommand::Add { code, name } => {
            let d = store
                .add_department_audited(
                    &DepartmentCode::parse(&code)?,
                    &name,
                    &AuditActor::cli(),
                    store.clock().now(),
                )
                .await?;
            println!("created department {} {}", d.code, d.name);
        }
        DepartmentCommand::List => {
            for d in store.list_departments().await? {
                println!("{}\t{}", d.code, d.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn calendar(settings: Settings, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings).await?;
    match command {
        CalendarCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let year = store
                .load_calendar_year_audited(&text, &AuditActor::cli(), store.clock().now())
                .await
                .context("the file is not valid holiday data")?;
            println!(
                "loaded {}: {} holidays, {} make-up working days",
                year.year,
                year.off_days.len(),
                year.makeup_days.len()
            );
        }
        CalendarCommand::AddWorkingDays { date, n } => {
            let cal = store.calendar().await?;
            warn_missing(&cal, date);
            println!("{}", cal.add_working_days(date, n));
        }
        CalendarCommand::IsWorkingDay { date } => {
            let cal = store.calendar().await?;
            warn_missing(&cal, date);
            println!("{}", cal.is_working_day(date));
        }
        CalendarCommand::Show => {
            let cal = store.calendar().await?;
            for y in cal.years() {
                println!(
                    "{}\t{} working days\t{} holidays\t{} make-up days",
                    y.year,
                    cal.working_days_in(y.year),
                    y.off_days.len(),
                    y.makeup_days.len()
                );
            }
            let this_year = chrono::Datelike::year(
                &store
                    .clock()
                    .now()
                    .with_timezone(&aiwei_core::time::china()),
            );
            for y in [this_year, this_year + 1] {
                if !cal.has_year(y) {
                    eprintln!("warning: no holiday data for {y}; Monday–Friday is assumed");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arithmetic without data for a year silently assumes Monday–Friday: say so
/// on standard error, keeping standard output to the answer.
fn warn_missing(cal: &aiwei_core::calendar::Calendar, date: chrono::NaiveDate) {
    let y = chrono::Datelike::year(&date);
    if !cal.has_year(y) {
        eprintln!("warning: no holiday data for {y}; Monday–Friday is assumed");
    }
}

async fn token(settings: Settings, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings).await?;
    let now = store.clock().now();
    match command {
        TokenCommand::Create {
            username,
            label,
            days,
        } => {
            let user = store
                .user_by_name(&Username::parse(&username)?)
                .await
                .with_context(|| format!("no user {username}"))?;
            let days = days.unwrap_or(settings.token_days);
            if !(1..=aiwei_server::state::MAX_TOKEN_DAYS).contains(&days) {
                bail!(
                    "--days must be between 1 and {}",
                    aiwei_server::state::MAX_TOKEN_DAYS
                );
            }
            let (token, hash) = new_api_token();
            let t = store
                .add_api_token_audited(
                    user.id,
                    &hash,
                    &label,
                    now + chrono::Duration::days(days),
                    &AuditActor::cli(),
                    now,
                )
                .await?;
            eprintln!(
                "令牌 {} 有效至 {}；只显示这一次 (token {} valid until {}; shown once):",
                t.id,
                local_minute(t.expires_at),
                t.id,
                t.expires_at.to_rfc3339()
            );
            println!("{token}");
        }
        TokenCommand::List { username } => {
            let user = match username {
                Some(name) => Some(
                    store
                        .user_by_name(&Username::parse(&name)?)
                        .await
                        .with_context(|| format!("no user {name}"))?
                        .id,
                ),
                None => None,
            };
            for t in store.api_tokens(user).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.username,
                    t.label,
                    t.expires_at.to_rfc3339(),
                    t.state_at(now)
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let t = store.revoke_api_token(id, &AuditActor::cli(), now).await?;
            println!("revoked token {} of {} ({})", t.id, t.username, t.label);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The columns section of an import mapping file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    columns: std::collections::BTreeMap<String, String>,
}

async fn import_ledger(
    settings: Settings,
    file: &std::path::Path,
    dry_run: bool,
    mapping: Option<&std::path::Path>,
    user: Option<String>,
) -> anyhow::Result<ExitCode> {
    use aiwei_server::services::import::{self, ImportFailure};
    let mapping = match mapping {
        None => aiwei_core::import::Mapping::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the mapping file {}", path.display()))?;
            let m: MappingFile = toml::from_str(&text)
                .with_context(|| format!("the mapping file {} is not valid", path.display()))?;
            match aiwei_core::import::Mapping::with_overrides(&m.columns) {
                Ok(m) => m,
                Err(c) => bail!("{}", ImportFailure::Mapping(c).message()),
            }
        }
    };
    let meta = std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?;
    if meta.len() > import::MAX_BYTES as u64 {
        eprintln!("{}", ImportFailure::TooLarge(meta.len() as usize).message());
        return Ok(ExitCode::from(2));
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let store = open_store(&settings).await?;
    let by = match user {
        Some(u) => store.user_by_name(&Username::parse(&u)?).await?,
        None => store
            .list_users()
            .await?
            .into_iter()
            .find(|u| u.active && u.roles.contains(&Role::Admin))
            .context("no active administrator to record the matters under: pass --as USERNAME")?,
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let outcome = match import::import(
        &store,
        &bytes,
        &mapping,
        dry_run,
        &by,
        &AuditActor::cli(),
        &settings.number_prefix,
        &name,
        store.clock().now(),
    )
    .await
    {
        Ok(o) => o,
        Err(ImportFailure::Store(e)) => return Err(e.into()),
        Err(e) => {
            eprintln!("{}", e.message());
            return Ok(ExitCode::from(2));
        }
    };
    for e in &outcome.refused {
        println!("第 {} 行\t{}\t{}", e.row, e.column.label(), e.code.label());
    }
    let refused = outcome.refused_rows();
    if dry_run {
        println!(
            "检查完毕（未写入）：共 {} 行，可导入 {} 行（其中 {} 行此前已导入），不能导入 {} 行",
            outcome.rows, outcome.valid, outcome.existing, refused
        );
    } else {
        println!(
            "导入完毕：共 {} 行，新写入 {} 件事项，此前已导入 {} 行，不能导入 {} 行",
            outcome.rows, outcome.report.written, outcome.report.existing, refused
        );
    }
    Ok(if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
