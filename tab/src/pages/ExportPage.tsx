// Export: a ZIP of JSON for the whole tenant, one object type or one object, with progress and
// a download once ready.
import {
  Button,
  Card,
  CardHeader,
  Dropdown,
  Field,
  Input,
  makeStyles,
  Option,
  ProgressBar,
  Radio,
  RadioGroup,
  Text,
  tokens,
} from '@fluentui/react-components';
import { ArrowDownloadRegular, FolderZipRegular } from '@fluentui/react-icons';
import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../App.tsx';
import { api, download } from '../api/client.ts';
import type { ExportJob, ObjectType } from '../api/types.ts';
import { ErrorBar, PageHeader } from '../components/common.tsx';
import { formatBytes, formatDateTime, TYPE_LABELS } from '../format.ts';

const useStyles = makeStyles({
  card: {
    padding: tokens.spacingHorizontalL,
    maxWidth: '720px',
    marginBottom: tokens.spacingVerticalL,
    gap: tokens.spacingVerticalM,
  },
  row: { display: 'flex', gap: tokens.spacingHorizontalM, flexWrap: 'wrap', alignItems: 'flex-end' },
  muted: { color: tokens.colorNeutralForeground3 },
  job: {
    padding: `${tokens.spacingVerticalS} 0`,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
    display: 'grid',
    gap: tokens.spacingVerticalXS,
  },
});

const JOBS_KEY = 'entra-backup.tab.exports';

export async function startExport(target: {
  level: 'tenant' | 'type' | 'object';
  objectType?: ObjectType;
  objectId?: string;
}) {
  const job = await api<ExportJob>('/api/tab/exports', { method: 'POST', body: target });
  const known = JSON.parse(sessionStorage.getItem(JOBS_KEY) ?? '[]') as string[];
  sessionStorage.setItem(JOBS_KEY, JSON.stringify([job.exportId, ...known].slice(0, 10)));
  return job;
}

export function ExportPage() {
  const styles = useStyles();
  const { me } = useSession();
  const [level, setLevel] = useState<'tenant' | 'type' | 'object'>('tenant');
  const [objectType, setObjectType] = useState<ObjectType>('user');
  const [objectId, setObjectId] = useState('');
  const [jobs, setJobs] = useState<ExportJob[]>([]);
  const [error, setError] = useState<unknown>();

  const refresh = useCallback(async () => {
    const ids = JSON.parse(sessionStorage.getItem(JOBS_KEY) ?? '[]') as string[];
    const loaded = await Promise.all(
      ids.map((id) => api<ExportJob>(`/api/tab/exports/${id}`).catch(() => undefined)),
    );
    setJobs(loaded.filter((j): j is ExportJob => Boolean(j)));
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const running = jobs.some((j) => j.status === 'running');
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => void refresh(), 1000);
    return () => clearInterval(t);
  }, [running, refresh]);

  const start = async () => {
    setError(undefined);
    try {
      await startExport({
        level,
        ...(level !== 'tenant' ? { objectType } : {}),
        ...(level === 'object' ? { objectId: objectId.trim() } : {}),
      });
      await refresh();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      <PageHeader
        title="Export"
        subtitle="Download backed-up objects as a ZIP of JSON files, to keep or to restore by hand"
      />
      <Card className={styles.card}>
        <CardHeader
          header={
            <Text as="h2" weight="semibold" size={400}>
              New export
            </Text>
          }
        />
        <RadioGroup
          value={level}
          onChange={(_e, d) => setLevel(d.value as typeof level)}
          aria-label="What to export"
          layout="horizontal"
        >
          <Radio value="tenant" label="Whole tenant" />
          <Radio value="type" label="One object type" />
          <Radio value="object" label="One object" />
        </RadioGroup>
        <div className={styles.row}>
          {level !== 'tenant' ? (
            <Field label="Object type">
              <Dropdown
                value={TYPE_LABELS[objectType].many}
                selectedOptions={[objectType]}
                onOptionSelect={(_e, d) => setObjectType(d.optionValue as ObjectType)}
              >
                {(Object.keys(TYPE_LABELS) as ObjectType[]).map((t) => (
                  <Option key={t} value={t}>
                    {TYPE_LABELS[t].many}
                  </Option>
                ))}
              </Dropdown>
            </Field>
          ) : null}
          {level === 'object' ? (
            <Field label="Object id">
              <Input value={objectId} onChange={(_e, d) => setObjectId(d.value)} />
            </Field>
          ) : null}
          <Button
            appearance="primary"
            icon={<FolderZipRegular />}
            onClick={start}
            disabled={!me.isAdmin || (level === 'object' && !objectId.trim())}
          >
            Start export
          </Button>
        </div>
        {!me.isAdmin ? <Text className={styles.muted}>Only admins can export the directory.</Text> : null}
        <ErrorBar error={error} title="The export could not start" />
      </Card>
      <Card className={styles.card}>
        <CardHeader
          header={
            <Text as="h2" weight="semibold" size={400}>
              Your exports
            </Text>
          }
        />
        {jobs.length === 0 ? <Text className={styles.muted}>No exports in this session yet.</Text> : null}
        {jobs.map((j) => (
          <div key={j.exportId} className={styles.job} data-testid="export-job">
            <Text weight="semibold">
              {j.target.level === 'tenant'
                ? 'Whole tenant'
                : `${TYPE_LABELS[j.target.objectType as ObjectType]?.many ?? j.target.objectType}${j.target.objectId ? `: ${j.target.objectId}` : ''}`}
            </Text>
            <Text className={styles.muted}>Started {formatDateTime(j.startedAt)}</Text>
            {j.status === 'running' ? (
              <ProgressBar value={j.total ? j.done / j.total : undefined} aria-label="Export progress" />
            ) : null}
            {j.status === 'failed' ? <ErrorBar error={j.error} title="Export failed" /> : null}
            {j.status === 'ready' ? (
              <div>
                <Button
                  icon={<ArrowDownloadRegular />}
                  onClick={() => download(`/api/tab/exports/${j.exportId}/download`, 'export.zip')}
                >
                  Download ZIP ({formatBytes(j.bytes)})
                </Button>
              </div>
            ) : null}
          </div>
        ))}
      </Card>
    </>
  );
}
