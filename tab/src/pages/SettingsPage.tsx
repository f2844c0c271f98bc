// Settings: admin consent for the backup (read) and restore (write) apps, backup scope per
// object type, schedule and retention, alerts, approval policy, and who counts as an admin.
import {
  Badge,
  Button,
  Card,
  CardHeader,
  Checkbox,
  Dropdown,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Option,
  Switch,
  Text,
  tokens,
} from '@fluentui/react-components';
import { SaveRegular, ShieldKeyholeRegular } from '@fluentui/react-icons';
import { type ReactNode, useEffect, useState } from 'react';
import { useSession } from '../App.tsx';
import { api } from '../api/client.ts';
import type { ObjectType, SettingsView } from '../api/types.ts';
import { ErrorBar, PageHeader, Pending } from '../components/common.tsx';
import { useAsync } from '../components/use-async.ts';
import { formatDateTime, TYPE_LABELS } from '../format.ts';

const ROLES: { id: string; name: string }[] = [
  { id: '62e90394-69f5-4237-9190-012177145e10', name: 'Global Administrator' },
  { id: 'e8611ab8-c189-46e8-94e1-60213ab1f814', name: 'Privileged Role Administrator' },
  { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', name: 'User Administrator' },
  { id: 'fdd7a751-b60b-444a-984c-02652fe8fa1c', name: 'Groups Administrator' },
  { id: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', name: 'Application Administrator' },
  { id: '194ae4cb-b126-40b2-bd5b-6091b380977d', name: 'Security Administrator' },
];

const useStyles = makeStyles({
  grid: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(420px, 1fr))',
    gap: tokens.spacingHorizontalL,
  },
  card: { padding: tokens.spacingHorizontalL, gap: tokens.spacingVerticalM },
  consentRow: {
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: tokens.spacingHorizontalM,
    padding: `${tokens.spacingVerticalS} 0`,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  muted: { color: tokens.colorNeutralForeground3 },
  scope: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: `0 ${tokens.spacingHorizontalM}` },
  row: { display: 'flex', gap: tokens.spacingHorizontalM, flexWrap: 'wrap' },
  field: { minWidth: '180px', flexGrow: 1 },
  error: { color: tokens.colorPaletteRedForeground1 },
});

type Draft = Pick<SettingsView, 'scope' | 'schedule' | 'retentionDays' | 'alerts' | 'approval' | 'admins'>;

const CONSENT_LABEL = { unknown: 'Not recorded yet', granted: 'Granted', refused: 'Refused' } as const;

export function SettingsPage() {
  const styles = useStyles();
  const { me } = useSession();
  const { data, error, setData } = useAsync(() => api<SettingsView>('/api/tab/settings'), []);
  const [draft, setDraft] = useState<Draft>();
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (data)
      setDraft({
        scope: data.scope,
        schedule: data.schedule,
        retentionDays: data.retentionDays,
        alerts: data.alerts,
        approval: data.approval,
        admins: data.admins,
      });
  }, [data]);

  if (!data || !draft) return <Pending error={error} />;
  const readOnly = !data.canEdit;
  const update = (patch: Partial<Draft>) => {
    setDraft({ ...draft, ...patch });
    setSaved(false);
  };

  const save = async () => {
    setSaving(true);
    setSaveError(undefined);
    try {
      const next = await api<SettingsView>('/api/tab/settings', {
        method: 'PATCH',
        body: {
          scope: draft.scope,
          schedule: draft.schedule,
          retentionDays: draft.retentionDays,
          alerts: {
            mode: draft.alerts.mode,
            reminderMinutes: draft.alerts.reminderMinutes,
            channelConversationId: draft.alerts.channelConversationId ?? null,
          },
          approval: draft.approval,
          admins: { groupId: draft.admins.groupId || null, roleTemplateIds: draft.admins.roleTemplateIds },
        },
      });
      setData(next);
      setSaved(true);
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  const grant = async (app: 'backup' | 'restore') => {
    setSaveError(undefined);
    try {
      const { url } = await api<{ url: string }>('/api/tab/consent/start', { method: 'POST', body: { app } });
      // In Teams the frame cannot show the sign-in page: open it in a window.
      if (window.parent !== window) window.open(url, '_blank', 'noopener');
      else window.location.assign(url);
    } catch (e) {
      setSaveError(e);
    }
  };

  return (
    <>
      <PageHeader
        title="Settings"
        subtitle={`Last changed ${formatDateTime(data.updatedAt)}`}
        actions={
          <Button appearance="primary" icon={<SaveRegular />} disabled={readOnly || saving} onClick={save}>
            Save changes
          </Button>
        }
      />
      {readOnly ? (
        <MessageBar intent="info">
          <MessageBarBody>
            You can view these settings. Only admins of this tenant can change them.
          </MessageBarBody>
        </MessageBar>
      ) : null}
      <ErrorBar error={saveError} title="Not saved" />
      {saved ? (
        <MessageBar intent="success">
          <MessageBarBody>Settings saved.</MessageBarBody>
        </MessageBar>
      ) : null}
      <div className={styles.grid} style={{ marginTop: 12 }}>
        <SettingsCard
          title="Admin consent"
          description="The backup app only reads; the restore app writes, and only for approved restores."
        >
          {(['backup', 'restore'] as const).map((app) => {
            const c = data.consent[`${app}App`];
            return (
              <div key={app} className={styles.consentRow} data-testid={`consent-${app}`}>
                <div>
                  <Text weight="semibold" block>
                    {app === 'backup' ? 'Backup app (read)' : 'Restore app (write)'}
                  </Text>
                  <Badge
                    appearance="tint"
                    color={
                      c.state === 'granted' ? 'success' : c.state === 'refused' ? 'danger' : 'informative'
                    }
                  >
                    {CONSENT_LABEL[c.state]}
                  </Badge>{' '}
                  {c.at ? <Text className={styles.muted}>{formatDateTime(c.at)}</Text> : null}
                  {c.error ? (
                    <Text as="p" className={styles.error} block>
                      {c.error}
                    </Text>
                  ) : null}
                </div>
                <Button icon={<ShieldKeyholeRegular />} disabled={!me.isAdmin} onClick={() => grant(app)}>
                  {c.state === 'granted' ? 'Grant again' : 'Grant admin consent'}
                </Button>
              </div>
            );
          })}
        </SettingsCard>

        <SettingsCard
          title="Backup scope"
          description="Each selected type is backed up for the whole tenant."
        >
          <div className={styles.scope}>
            {(Object.keys(TYPE_LABELS) as ObjectType[]).map((t) => (
              <Switch
                key={t}
                label={TYPE_LABELS[t].many}
                checked={draft.scope[t] !== false}
                disabled={readOnly}
                onChange={(_e, d) => update({ scope: { ...draft.scope, [t]: d.checked } })}
              />
            ))}
          </div>
        </SettingsCard>

        <SettingsCard title="Schedule and retention">
          <div className={styles.row}>
            <NumberField
              label="Incremental backup every (minutes)"
              min={5}
              max={1440}
              fallback={15}
              disabled={readOnly}
              value={draft.schedule.incrementalMinutes}
              onChange={(v) => update({ schedule: { ...draft.schedule, incrementalMinutes: v } })}
            />
            <Field label="Full backup (cron, UTC)" className={styles.field}>
              <Input
                disabled={readOnly}
                value={draft.schedule.fullCron}
                onChange={(_e, d) => update({ schedule: { ...draft.schedule, fullCron: d.value } })}
              />
            </Field>
          </div>
          <div className={styles.row}>
            <NumberField
              label="Keep versions for (days)"
              min={7}
              max={3650}
              fallback={365}
              disabled={readOnly}
              value={draft.retentionDays}
              onChange={(v) => update({ retentionDays: v })}
            />
            <Switch
              label="Pause scheduled backups"
              disabled={readOnly}
              checked={draft.schedule.paused}
              onChange={(_e, d) => update({ schedule: { ...draft.schedule, paused: d.checked } })}
            />
          </div>
        </SettingsCard>

        <SettingsCard title="Alerts">
          <div className={styles.row}>
            <Field label="Post to the channel" className={styles.field}>
              <Dropdown
                disabled={readOnly}
                value={
                  draft.alerts.mode === 'failures'
                    ? 'Failures only'
                    : draft.alerts.mode === 'every-run'
                      ? 'After every run'
                      : 'Daily digest'
                }
                selectedOptions={[draft.alerts.mode]}
                onOptionSelect={(_e, d) =>
                  update({ alerts: { ...draft.alerts, mode: d.optionValue as Draft['alerts']['mode'] } })
                }
              >
                <Option value="failures">Failures only</Option>
                <Option value="every-run">After every run</Option>
                <Option value="daily-digest">Daily digest</Option>
              </Dropdown>
            </Field>
            <Field label="Remind about a lasting failure after (minutes)" className={styles.field}>
              <Input
                type="number"
                min={15}
                disabled={readOnly}
                value={String(draft.alerts.reminderMinutes)}
                onChange={(_e, d) =>
                  update({ alerts: { ...draft.alerts, reminderMinutes: num(d.value, 240) } })
                }
              />
            </Field>
          </div>
          <Field label="Channel for approvals and alerts">
            <Dropdown
              disabled={readOnly || data.channels.length === 0}
              placeholder={
                data.channels.length ? 'Choose a channel' : 'Install the app in a team to choose a channel'
              }
              value={
                draft.alerts.channelConversationId
                  ? (data.channels.find((c) => c.conversationId === draft.alerts.channelConversationId)
                      ?.conversationType ?? 'channel')
                  : ''
              }
              selectedOptions={draft.alerts.channelConversationId ? [draft.alerts.channelConversationId] : []}
              onOptionSelect={(_e, d) =>
                update({ alerts: { ...draft.alerts, channelConversationId: d.optionValue } })
              }
            >
              {data.channels.map((c) => (
                <Option
                  key={c.conversationId}
                  value={c.conversationId}
                  text={`${c.conversationType} ${c.conversationId}`}
                >
                  {`${c.conversationType} · installed ${formatDateTime(c.installedAt)}`}
                </Option>
              ))}
            </Dropdown>
          </Field>
        </SettingsCard>

        <SettingsCard
          title="Approval policy"
          description="The requester can never approve their own restore."
        >
          <div className={styles.row}>
            <NumberField
              label="Approvals needed"
              min={1}
              max={5}
              fallback={1}
              disabled={readOnly}
              value={draft.approval.approversNeeded}
              onChange={(v) => update({ approval: { ...draft.approval, approversNeeded: v } })}
            />
            <NumberField
              label="Request expires after (hours)"
              min={1}
              max={720}
              fallback={24}
              disabled={readOnly}
              value={draft.approval.expiryHours}
              onChange={(v) => update({ approval: { ...draft.approval, expiryHours: v } })}
            />
          </div>
        </SettingsCard>

        <SettingsCard
          title="Who is an admin"
          description="Members of the admin group and holders of the selected roles can request and approve restores."
        >
          <Field label="Admin group object id">
            <Input
              disabled={readOnly}
              value={draft.admins.groupId ?? ''}
              placeholder="00000000-0000-0000-0000-000000000000"
              onChange={(_e, d) =>
                update({ admins: { ...draft.admins, groupId: d.value.trim() || undefined } })
              }
            />
          </Field>
          <fieldset style={{ border: 0, padding: 0, margin: 0, display: 'flex', flexDirection: 'column' }}>
            <legend>Directory roles</legend>
            {ROLES.map((r) => (
              <Checkbox
                key={r.id}
                label={r.name}
                disabled={readOnly}
                checked={draft.admins.roleTemplateIds.includes(r.id)}
                onChange={(_e, d) =>
                  update({
                    admins: {
                      ...draft.admins,
                      roleTemplateIds: d.checked
                        ? [...draft.admins.roleTemplateIds, r.id]
                        : draft.admins.roleTemplateIds.filter((x) => x !== r.id),
                    },
                  })
                }
              />
            ))}
          </fieldset>
        </SettingsCard>
      </div>
    </>
  );
}

/** One settings section: a card with its heading and what it is for. */
function SettingsCard(props: { title: string; description?: string; children: ReactNode }) {
  const styles = useStyles();
  return (
    <Card className={styles.card}>
      <CardHeader
        header={
          <Text as="h2" weight="semibold" size={400}>
            {props.title}
          </Text>
        }
        description={
          props.description ? <Text className={styles.muted}>{props.description}</Text> : undefined
        }
      />
      {props.children}
    </Card>
  );
}

/** A whole-number setting; an empty or invalid entry falls back to the product default. */
function NumberField(props: {
  label: string;
  min: number;
  max: number;
  fallback: number;
  value: number;
  disabled: boolean;
  onChange: (value: number) => void;
}) {
  const styles = useStyles();
  return (
    <Field label={props.label} className={styles.field}>
      <Input
        type="number"
        min={props.min}
        max={props.max}
        disabled={props.disabled}
        value={String(props.value)}
        onChange={(_e, d) => props.onChange(num(d.value, props.fallback))}
      />
    </Field>
  );
}

const num = (value: string, fallback: number) =>
  Number.isFinite(Number(value)) && value !== '' ? Number(value) : fallback;
