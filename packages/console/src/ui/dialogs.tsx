// Modal dialogs (focus trapped and restored, Escape closes) and the confirmation every destructive action asks for.
import type { ReactNode } from 'react';
import { Dialog, DialogTrigger, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useT } from '../i18n/i18n.tsx';
import { Button } from './controls.tsx';

export function FormDialog({
  title,
  isOpen,
  onOpenChange,
  children,
  role = 'dialog',
}: {
  title: string;
  isOpen: boolean;
  onOpenChange(open: boolean): void;
  children: ReactNode;
  role?: 'dialog' | 'alertdialog';
}) {
  return (
    <ModalOverlay className="modal-overlay" isOpen={isOpen} onOpenChange={onOpenChange} isDismissable={role === 'dialog'}>
      <Modal className="modal">
        <Dialog className="dialog" role={role}>
          <Heading slot="title" className="dialog-title">
            {title}
          </Heading>
          {children}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

/** A button that asks before doing something that cannot be undone. */
export function ConfirmButton({
  label,
  title,
  message,
  confirmLabel,
  onConfirm,
  variant = 'danger',
}: {
  label: string;
  title: string;
  message: string;
  confirmLabel?: string;
  onConfirm(): Promise<unknown> | void;
  variant?: 'danger' | 'secondary';
}) {
  const t = useT();
  return (
    <DialogTrigger>
      <Button variant={variant}>{label}</Button>
      <ModalOverlay className="modal-overlay">
        <Modal className="modal">
          <Dialog className="dialog" role="alertdialog">
            {({ close }) => (
              <>
                <Heading slot="title" className="dialog-title">
                  {title}
                </Heading>
                <p>{message}</p>
                <div className="dialog-actions">
                  <Button onPress={close}>{t('common.cancel')}</Button>
                  <Button
                    variant="danger"
                    onPress={async () => {
                      await onConfirm();
                      close();
                    }}
                  >
                    {confirmLabel ?? label}
                  </Button>
                </div>
              </>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}
