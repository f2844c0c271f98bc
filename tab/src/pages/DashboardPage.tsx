// Dashboard: health per object type, live progress of running backups, the 30-day trend,
// failing runs with Graph's errors, and Backup now.
import {
  Button,
  Card,
  CardHeader,
  MessageBar,
  MessageBarBody,
  makeStyles,
  ProgressBar,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { ArrowClockwiseRegular, CloudArrowUpRegular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import { useSession } from '../App.tsx';
import { api } from '../api/client.ts';
import type { DashboardSummary } from '../api/types.ts';
import { ChangesChart } from '../components/ChangesChart.tsx';
import {
  ErrorBar,
  HealthBadge,
  NavLink,
  PageHeader,
  Pending,
  RunStatusBadge,
} from '../components/common.tsx';
import { useAsync } from '../components/use-async.ts';
import { formatDateTime, formatDuration, formatNumber, TYPE_LABELS, timeAgo } from '../format.ts';

const useStyles = makeStyles({
  tiles: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(200px, 1fr))',
    gap: tokens.spacingHorizontalL,
    marginBottom: tokens.spacingVerticalL,
  },
  tile: { padding: tokens.spacingHorizontalL },
  tileValue: {
    fontSize: tokens.fontSizeHero800,
    lineHeight: tokens.lineHeightHero800,
    fontWeight: tokens.fontWeightSemibold,
  },
  muted: { color: tokens.colorNeutralForeground3 },
  grid: {
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 3fr) minmax(0, 2fr)',
    gap: tokens.spacingHorizontalL,
    marginBottom: tokens.spacingVerticalL,
    '@media (max-width: 1000px)': { gridTemplateColumns: '1fr' },
  },
  card: { padding: tokens.spacingHorizontalL, marginBottom: tokens.spacingVerticalL },
  progressGrid: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(460px, 1fr))',
    columnGap: tokens.spacingHorizontalXXL,
  },
  progressRow: {
    display: 'grid',
    gridTemplateColumns: '180px 1fr 120px',
    alignItems: 'center',
    gap: tokens.spacingHorizontalM,
    padding: `${tokens.spacingVerticalXS} 0`,
  },
  error: { color: tokens.colorPaletteRedForeground1 },
  failure: {
    padding: `${tokens.spacingVerticalS} 0`,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  num: { textAlign: 'right' },
});

export function DashboardPage() {
  const styles = useStyles();
  const { me } = useSession();
  const { data, error, reload } = useAsync(() => api<DashboardSummary>('/api/tab/dashboard'), []);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<unknown>();
  const [started, setStarted] = useState<string>();
  const running = (data?.running.length ?? 0) > 0;

  // Live progress: poll quickly while a backup runs, slowly otherwise.
  useEffect(() => {
    const timer = setInterval(() => void reload(), running ? 1500 : 30_000);
    return () => clearInterval(timer);
  }, [running, reload]);

  const backupNow = async () => {
    setStarting(true);
    setStartError(undefined);
    try {
      const run = await api<{ runId: string }>('/api/tab/backups', { method: 'POST', body: {} });
      setStarted(run.runId);
      await reload();
    } catch (e) {
      setStartError(e);
    } finally {
      setStarting(false);
    }
  };

  if (!data) return <Pending error={error} />;
  const inScope = data.types.filter((t) => t.inScope);
  const lastSuccess = inScope
    .map((t) => t.lastSuccessAt)
    .filter(Boolean)
    .sort()
    .pop();
  const failing = inScope.filter((t) => t.state === 'failing').length;
  const partial = inScope.filter((t) => t.state === 'partial').length;

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle={
          data.paused
            ? 'Scheduled backups are paused'
            : data.nextRun
              ? `Next ${data.nextRun.kind} backup ${timeAgo(data.nextRun.at)} (${formatDateTime(data.nextRun.at)})`
              : undefined
        }
        actions={
          <>
            <Button icon={<ArrowClockwiseRegular />} onClick={() => void reload()} aria-label="Refresh">
              Refresh
            </Button>
            <Button
              appearance="primary"
              icon={<CloudArrowUpRegular />}
              disabled={!me.isAdmin || starting || running}
              onClick={backupNow}
            >
              {running ? 'Backup running…' : 'Backup now'}
            </Button>
          </>
        }
      />
      <ErrorBar error={startError} title="The backup could not be started" />
      {started && !running ? (
        <MessageBar intent="success">
          <MessageBarBody>Backup {started} was queued.</MessageBarBody>
        </MessageBar>
      ) : null}

      <section className={styles.tiles} aria-label="Summary">
        <Card className={styles.tile}>
          <Text className={styles.muted}>Objects backed up</Text>
          <Text className={styles.tileValue} data-testid="total-live">
            {formatNumber(data.totals.live)}
          </Text>
          <Text className={styles.muted}>{formatNumber(data.totals.deleted)} deleted objects kept</Text>
        </Card>
        <Card className={styles.tile}>
          <Text className={styles.muted}>Last successful backup</Text>
          <Text className={styles.tileValue}>{lastSuccess ? timeAgo(lastSuccess) : 'Never'}</Text>
          <Text className={styles.muted}>{formatDateTime(lastSuccess)}</Text>
        </Card>
        <Card className={styles.tile}>
          <Text className={styles.muted}>Health</Text>
          <Text className={styles.tileValue}>
            {failing ? `${failing} failing` : partial ? `${partial} partial` : 'Healthy'}
          </Text>
          <Text className={styles.muted}>{inScope.length} object types in scope</Text>
        </Card>
      </section>

      {data.running.map((run) => (
        <Card key={run.runId} className={styles.card} aria-live="polite">
          <CardHeader
            header={<Text weight="semibold">{`Backup running (${run.kind}, ${run.trigger})`}</Text>}
            description={
              <Text className={styles.muted}>
                {run.startedAt ? `Started ${timeAgo(run.startedAt)}` : 'Queued'}
              </Text>
            }
          />
          <div className={styles.progressGrid}>
            {run.types.map((t) => (
              <div key={t.objectType} className={styles.progressRow}>
                <Text>{TYPE_LABELS[t.objectType].many}</Text>
                <ProgressBar
                  value={t.percent / 100}
                  thickness="large"
                  aria-label={`${TYPE_LABELS[t.objectType].many} progress`}
                  color={t.done ? 'success' : 'brand'}
                />
                <Text className={styles.muted}>
                  {t.done ? `${formatNumber(t.seen)} done` : `${formatNumber(t.seen)} read`}
                </Text>
              </div>
            ))}
          </div>
        </Card>
      ))}

      <div className={styles.grid}>
        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Object types
              </Text>
            }
          />
          <Table aria-label="Backup status per object type" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Type</TableHeaderCell>
                <TableHeaderCell>State</TableHeaderCell>
                <TableHeaderCell className={styles.num}>Objects</TableHeaderCell>
                <TableHeaderCell className={styles.num}>Deleted</TableHeaderCell>
                <TableHeaderCell>Last successful backup</TableHeaderCell>
                <TableHeaderCell className={styles.num}>Last run changes</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {data.types.map((t) => (
                <TableRow key={t.objectType} data-testid={`type-row-${t.objectType}`}>
                  <TableCell>
                    <NavLink to={`/objects/${t.objectType}`}>{TYPE_LABELS[t.objectType].many}</NavLink>
                  </TableCell>
                  <TableCell>
                    <HealthBadge state={t.state} />
                  </TableCell>
                  <TableCell className={styles.num}>{formatNumber(t.live)}</TableCell>
                  <TableCell className={styles.num}>{formatNumber(t.deleted)}</TableCell>
                  <TableCell>{t.lastSuccessAt ? timeAgo(t.lastSuccessAt) : '—'}</TableCell>
                  <TableCell className={styles.num}>
                    {t.lastRunChanges
                      ? formatNumber(
                          t.lastRunChanges.created + t.lastRunChanges.changed + t.lastRunChanges.deleted,
                        )
                      : '—'}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Card>
        <div>
          <Card className={styles.card}>
            <CardHeader
              header={
                <Text as="h2" weight="semibold" size={400}>
                  Last 30 days
                </Text>
              }
            />
            <ChangesChart days={data.days} />
          </Card>
          <Card className={styles.card}>
            <CardHeader
              header={
                <Text as="h2" weight="semibold" size={400}>
                  Failing runs
                </Text>
              }
            />
            {data.failingRuns.length === 0 ? (
              <Text className={styles.muted}>No failing runs. Every recent backup completed.</Text>
            ) : (
              data.failingRuns.map((r) => (
                <div key={r.runId} className={styles.failure}>
                  <RunStatusBadge status={r.status} />{' '}
                  <Text weight="semibold">{formatDateTime(r.finishedAt ?? r.createdAt)}</Text>{' '}
                  <Text className={styles.muted}>({formatDuration(r.durationMs)})</Text>
                  {r.errors.map((e) => (
                    <Text
                      as="p"
                      key={`${r.runId}-${e.objectType ?? ''}-${e.code}-${e.at}`}
                      className={styles.error}
                      block
                    >
                      {e.objectType ? `${TYPE_LABELS[e.objectType].many}: ` : ''}
                      {e.code}
                      {e.status ? ` (${e.status})` : ''} — {e.message}
                    </Text>
                  ))}
                </div>
              ))
            )}
          </Card>
        </div>
      </div>
    </>
  );
}
