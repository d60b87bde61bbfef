"""training consent, and the photos kept with it for training and their review

Revision ID: 3f9a6c1e2d47
Revises: 8c1f4e2a7b90
Create Date: 2026-12-01 02:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f9a6c1e2d47'
down_revision = '8c1f4e2a7b90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('predictions_feedback', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('training_consent', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint(
            'ck_training_consent', 'rgpd_consent OR NOT training_consent'
        )
        batch_op.create_unique_constraint(
            'uq_predictions_feedback_id_training', ['id', 'training_consent']
        )
    op.create_table(
        'training_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('prediction_id', sa.Integer(), nullable=False),
        sa.Column('training_consent', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('jpeg', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('review', sa.String(length=9), nullable=True),
        sa.Column('label', sa.String(length=3), nullable=True),
        sa.Column('reviewer', sa.String(length=64), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('training_consent', name='ck_photo_consent'),
        sa.CheckConstraint("label IS NULL OR label IN ('cat', 'dog')", name='ck_photo_label'),
        sa.CheckConstraint(
            "(review IS NULL AND label IS NULL AND reviewer IS NULL)"
            " OR (review = 'rejected' AND label IS NULL AND reviewer IS NOT NULL)"
            " OR (review IN ('confirmed', 'corrected') AND label IS NOT NULL"
            " AND reviewer IS NOT NULL)",
            name='ck_photo_review',
        ),
        sa.ForeignKeyConstraint(
            ['prediction_id', 'training_consent'],
            ['predictions_feedback.id', 'predictions_feedback.training_consent'],
            name='fk_training_photos_prediction',
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('prediction_id'),
    )
    op.create_index('ix_training_photos_created_at', 'training_photos', ['created_at'])
    op.create_index('ix_training_photos_review', 'training_photos', ['review'])


def downgrade():
    op.drop_index('ix_training_photos_review', table_name='training_photos')
    op.drop_index('ix_training_photos_created_at', table_name='training_photos')
    op.drop_table('training_photos')
    with op.batch_alter_table('predictions_feedback', schema=None) as batch_op:
        batch_op.drop_constraint('uq_predictions_feedback_id_training', type_='unique')
        batch_op.drop_constraint('ck_training_consent', type_='check')
        batch_op.drop_column('training_consent')
