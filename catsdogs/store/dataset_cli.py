"""`flask dataset export`: the reviewed training photos as a versioned dataset
(catsdogs/store/feedback_dataset.py)."""

from pathlib import Path

import click
from flask.cli import AppGroup

from catsdogs.store import feedback_dataset

dataset = AppGroup("dataset", help="The feedback dataset: reviewed photos for retraining.")


@dataset.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write (new, empty, or an earlier export, which is replaced).",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Export even when no photo has been reviewed (a retrain then learns nothing new).",
)
def export(out: Path, allow_empty: bool) -> None:
    """Write the confirmed and corrected photos as PetImages/Cat|Dog, those labelled neither a
    cat nor a dog in neither/, with a manifest."""
    try:
        manifest = feedback_dataset.export(out, allow_empty)
    except feedback_dataset.ExportError as error:
        raise click.ClickException(str(error)) from None
    counts, neither = manifest["counts"], manifest["neither"]["counts"]
    click.echo(
        f"Exported {counts['total']} reviewed photos to {out} "
        f"(train: {counts['train']['cat']} cats, {counts['train']['dog']} dogs; "
        f"held out: {counts['holdout']['cat']} cats, {counts['holdout']['dog']} dogs; "
        f"{manifest['duplicates_skipped']} duplicates skipped), and {neither['total']} "
        f"neither a cat nor a dog in neither/ (train: {neither['train']}, held out: "
        f"{neither['holdout']}); content hash {manifest['content_hash'][:16]}"
    )
