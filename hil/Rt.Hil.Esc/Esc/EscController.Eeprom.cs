using R = Rt.Hil.Esc.Esc.EscRegisters;

namespace Rt.Hil.Esc.Esc;

/// <summary>The EEPROM (SII) interface 0x0500–0x050F: commands complete at once; 8-byte reads.</summary>
public sealed partial class EscController
{
    // ---------------------------------------------------------------- EEPROM

    private void LoadEeprom()
    {
        _eepromLoadErrors = 0;
        if (_eeprom.Length < 8 || !Sii.SiiChecksum.IsValid(_eeprom))
        {
            _eepromLoadErrors = R.EepromChecksumError | R.EepromDeviceInfoError;
        }
        else
        {
            W16(R.StationAlias, _eeprom[4]);
            _mem[R.PdiControl] = (byte)_eeprom[0];
            _mem[R.EscConfig] = (byte)(_eeprom[0] >> 8);
        }

        W16(R.EepromControl, (ushort)(R.EepromRead8Bytes | R.EepromTwoAddressBytes | _eepromLoadErrors));
        // "PDI operational" (DL status bit 0) only with valid device information.
        _mem[R.DlStatus] = (byte)(_eepromLoadErrors == 0 ? _mem[R.DlStatus] | 0x01 : _mem[R.DlStatus] & 0xFE);
    }

    private void ExecuteEepromCommand()
    {
        ushort written = U16(R.EepromControl);
        uint address = U32(R.EepromAddress);
        ushort errors = 0;
        switch (written & R.EepromCommandMask)
        {
            case 0:
                break; // NOP: clears the command error bits
            case R.EepromCommandRead:
                for (int i = 0; i < 4; i++)
                {
                    long a = (long)address + i;
                    W16(R.EepromData + 2 * i, a < _eeprom.Length ? _eeprom[a] : (ushort)0xFFFF);
                }

                break;
            case R.EepromCommandWrite:
                if ((written & R.EepromWriteEnable) == 0) errors |= R.EepromWriteEnableError;
                else if (address < _eeprom.Length) _eeprom[address] = U16(R.EepromData);
                else errors |= R.EepromCommandError;
                break;
            case R.EepromCommandReload:
                LoadEeprom();
                break;
            default:
                errors |= R.EepromCommandError;
                break;
        }

        // The command completes at once: busy never set, command bits read back as 0.
        W16(R.EepromControl, (ushort)(R.EepromRead8Bytes | R.EepromTwoAddressBytes | _eepromLoadErrors | errors));
    }

    private ushort _eepromLoadErrors;
}
