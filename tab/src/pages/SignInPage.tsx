// Outside Teams without a session: one clear way in.
import { Button, Card, makeStyles, Text, tokens } from '@fluentui/react-components';
import { ShieldCheckmarkFilled } from '@fluentui/react-icons';
import { signInUrl } from '../api/token.ts';

const useStyles = makeStyles({
  page: { display: 'grid', placeItems: 'center', minHeight: '100vh', padding: tokens.spacingHorizontalL },
  card: { maxWidth: '440px', padding: tokens.spacingHorizontalXXL, gap: tokens.spacingVerticalM },
  logo: { color: tokens.colorBrandForeground1, fontSize: '40px' },
  muted: { color: tokens.colorNeutralForeground3 },
});

export function SignInPage() {
  const styles = useStyles();
  return (
    <main className={styles.page}>
      <Card className={styles.card}>
        <ShieldCheckmarkFilled className={styles.logo} aria-hidden="true" />
        <Text as="h1" size={600} weight="semibold">
          Entra Backup
        </Text>
        <Text className={styles.muted}>
          Back up your Microsoft Entra ID directory and restore what was lost. Sign in with your work account
          to see your organization's backups.
        </Text>
        <Button appearance="primary" as="a" href={signInUrl()}>
          Sign in
        </Button>
      </Card>
    </main>
  );
}
