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
import { useEffect, useState } from 'react';
import { useSession } from '../App.tsx';
import { api } from '../api/client.ts';
import type { ObjectType, SettingsView } from '../api/types.ts';
import { ErrorBar, Loading, PageHeader } from '../components/common.tsx';
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

  if (!data || !draft) return error ? <ErrorBar error={error} /> : <Loading />;
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

  const num = (value: string, fallback: number) =>
    Number.isFinite(Number(value)) && value !== '' ? Number(value) : fallback;

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
        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Admin consent
              </Text>
            }
            description={
              <Text className={styles.muted}>
                The backup app only reads; the restore app writes, and only for approved restores.
              </Text>
            }
          />
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
        </Card>

        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Backup scope
              </Text>
            }
            description={
              <Text className={styles.muted}>Each selected type is backed up for the whole tenant.</Text>
            }
          />
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
        </Card>

        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Schedule and retention
              </Text>
            }
          />
          <div className={styles.row}>
            <Field label="Incremental backup every (minutes)" className={styles.field}>
              <Input
                type="number"
                min={5}
                max={1440}
                disabled={readOnly}
                value={String(draft.schedule.incrementalMinutes)}
                onChange={(_e, d) =>
                  update({ schedule: { ...draft.schedule, incrementalMinutes: num(d.value, 15) } })
                }
              />
            </Field>
            <Field label="Full backup (cron, UTC)" className={styles.field}>
              <Input
                disabled={readOnly}
                value={draft.schedule.fullCron}
                onChange={(_e, d) => update({ schedule: { ...draft.schedule, fullCron: d.value } })}
              />
            </Field>
          </div>
          <div className={styles.row}>
            <Field label="Keep versions for (days)" className={styles.field}>
              <Input
                type="number"
                min={7}
                max={3650}
                disabled={readOnly}
                value={String(draft.retentionDays)}
                onChange={(_e, d) => update({ retentionDays: num(d.value, 365) })}
              />
            </Field>
            <Switch
              label="Pause scheduled backups"
              disabled={readOnly}
              checked={draft.schedule.paused}
              onChange={(_e, d) => update({ schedule: { ...draft.schedule, paused: d.checked } })}
            />
          </div>
        </Card>

        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Alerts
              </Text>
            }
          />
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
        </Card>

        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Approval policy
              </Text>
            }
            description={
              <Text className={styles.muted}>The requester can never approve their own restore.</Text>
            }
          />
          <div className={styles.row}>
            <Field label="Approvals needed" className={styles.field}>
              <Input
                type="number"
                min={1}
                max={5}
                disabled={readOnly}
                value={String(draft.approval.approversNeeded)}
                onChange={(_e, d) =>
                  update({ approval: { ...draft.approval, approversNeeded: num(d.value, 1) } })
                }
              />
            </Field>
            <Field label="Request expires after (hours)" className={styles.field}>
              <Input
                type="number"
                min={1}
                max={720}
                disabled={readOnly}
                value={String(draft.approval.expiryHours)}
                onChange={(_e, d) =>
                  update({ approval: { ...draft.approval, expiryHours: num(d.value, 24) } })
                }
              />
            </Field>
          </div>
        </Card>

        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Who is an admin
              </Text>
            }
            description={
              <Text className={styles.muted}>
                Members of the admin group and holders of the selected roles can request and approve restores.
              </Text>
            }
          />
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
        </Card>
      </div>
    </>
  );
}
