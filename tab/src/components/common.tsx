// Small building blocks shared by the pages: page header, errors, loading, status badges.
import {
  Badge,
  type BadgeProps,
  Link,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  makeStyles,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { ReactNode } from 'react';
import type { RestoreStatus, TypeStatus } from '../api/types.ts';
import { href, useLinkHandler } from '../router.tsx';

const useStyles = makeStyles({
  header: {
    display: 'flex',
    alignItems: 'flex-start',
    justifyContent: 'space-between',
    gap: tokens.spacingHorizontalL,
    marginBottom: tokens.spacingVerticalL,
    flexWrap: 'wrap',
  },
  titles: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS },
  subtitle: { color: tokens.colorNeutralForeground3 },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
  center: { display: 'flex', justifyContent: 'center', padding: tokens.spacingVerticalXXXL },
});

export function PageHeader(props: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  const styles = useStyles();
  return (
    <div className={styles.header}>
      <div className={styles.titles}>
        <Text as="h1" size={600} weight="semibold">
          {props.title}
        </Text>
        {props.subtitle ? <Text className={styles.subtitle}>{props.subtitle}</Text> : null}
      </div>
      {props.actions ? <div className={styles.actions}>{props.actions}</div> : null}
    </div>
  );
}

export function ErrorBar({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>
        <MessageBarTitle>{title ?? 'Something went wrong'}</MessageBarTitle>
        {error instanceof Error ? error.message : String(error)}
      </MessageBarBody>
    </MessageBar>
  );
}

export function Loading({ label }: { label?: string }) {
  const styles = useStyles();
  return (
    <div className={styles.center}>
      <Spinner label={label ?? 'Loading…'} />
    </div>
  );
}

/** What a page shows until its data is there: the error when loading failed, else a spinner. */
export function Pending({ error }: { error: unknown }) {
  return error ? <ErrorBar error={error} /> : <Loading />;
}

export function NavLink({ to, children }: { to: string; children: ReactNode }) {
  const onClick = useLinkHandler(to);
  return (
    <Link href={href(to)} onClick={onClick}>
      {children}
    </Link>
  );
}

const HEALTH: Record<TypeStatus['state'], { label: string; color: BadgeProps['color'] }> = {
  healthy: { label: 'Healthy', color: 'success' },
  partial: { label: 'Partial', color: 'warning' },
  failing: { label: 'Failing', color: 'danger' },
  never: { label: 'Not backed up yet', color: 'informative' },
  off: { label: 'Off', color: 'subtle' },
};

export function HealthBadge({ state }: { state: TypeStatus['state'] }) {
  const h = HEALTH[state];
  return (
    <Badge appearance="tint" color={h.color} shape="rounded">
      {h.label}
    </Badge>
  );
}

const RESTORE: Record<RestoreStatus, { label: string; color: BadgeProps['color'] }> = {
  pending: { label: 'Waiting for approval', color: 'warning' },
  approved: { label: 'Approved, queued', color: 'brand' },
  rejected: { label: 'Rejected', color: 'danger' },
  cancelled: { label: 'Cancelled', color: 'subtle' },
  expired: { label: 'Expired', color: 'subtle' },
  running: { label: 'Running', color: 'brand' },
  succeeded: { label: 'Done', color: 'success' },
  partial: { label: 'Done with skipped items', color: 'warning' },
  failed: { label: 'Failed', color: 'danger' },
};

export function RestoreStatusBadge({ status }: { status: RestoreStatus }) {
  const s = RESTORE[status];
  return (
    <Badge appearance="filled" color={s.color} shape="rounded" data-status={status}>
      {s.label}
    </Badge>
  );
}

export function RunStatusBadge({ status }: { status: string }) {
  const color: BadgeProps['color'] =
    status === 'succeeded'
      ? 'success'
      : status === 'partial'
        ? 'warning'
        : status === 'failed'
          ? 'danger'
          : 'brand';
  return (
    <Badge appearance="tint" color={color} shape="rounded">
      {status}
    </Badge>
  );
}
