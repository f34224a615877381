//! `agentprep archive DIR OUT` (hidden): zip a directory exactly as `deploy` zips a package,
//! so the packaging benchmark can compare it with `zip -qr` on the same tree.

use crate::aws_deploy::arm64_dependencies::tree_files;
use crate::aws_deploy::package::COMPRESSION_LEVEL;
use crate::aws_deploy::zip_archive::ZipBuilder;
use crate::cli::ArchiveArgs;
use crate::error::UserError;

pub async fn run(args: ArchiveArgs) -> anyhow::Result<()> {
    if !args.dir.is_dir() {
        return Err(
            UserError::usage(format!("`{}` is not a directory", args.dir.display())).into(),
        );
    }
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let files = tree_files(&args.dir, "")?;
        let mut zip = ZipBuilder::create(&args.out)?;
        zip.add_files(&files, COMPRESSION_LEVEL)?;
        zip.finish()?;
        Ok(())
    })
    .await?
}
